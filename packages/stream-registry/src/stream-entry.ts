import type { UIMessageChunk } from './chunk-schema.js';

/** One chunk of a task's stream with its entry id, the SSE event id and resume cursor. */
export interface StreamEntry {
  id: string;
  chunk: UIMessageChunk;
}

/** Parses an entry's `data` field; entries that are not our JSON are skipped rather than breaking every tail. */
export function parseEntry(id: string, fields: string[]): StreamEntry | undefined {
  const index = fields.indexOf('data');
  const data = index >= 0 ? fields[index + 1] : undefined;
  if (data === undefined) return undefined;
  try {
    return { id, chunk: JSON.parse(data) as UIMessageChunk };
  } catch {
    return undefined;
  }
}

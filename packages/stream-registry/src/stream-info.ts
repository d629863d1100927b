import { StreamRegistryError } from './errors.js';
import { compareStreamIds, ZERO_ID } from './stream-id.js';

/** The parts of XINFO STREAM a cursor check needs. */
export interface StreamInfo {
  lastGeneratedId: string;
  /** Highest id ever trimmed or deleted (Redis 7+); undefined on older servers. */
  maxDeletedId: string | undefined;
  firstId: string | null;
}

/** Reads XINFO STREAM's flat reply. */
export function parseStreamInfo(reply: unknown[]): StreamInfo {
  const map = new Map<string, unknown>();
  for (let i = 0; i + 1 < reply.length; i += 2) map.set(String(reply[i]), reply[i + 1]);
  const first = map.get('first-entry');
  const maxDeleted = map.get('max-deleted-entry-id');
  return {
    lastGeneratedId: String(map.get('last-generated-id') ?? ZERO_ID),
    maxDeletedId: typeof maxDeleted === 'string' ? maxDeleted : undefined,
    firstId: Array.isArray(first) && typeof first[0] === 'string' ? first[0] : null,
  };
}

/**
 * Throws when resuming after `cursor` would silently skip entries (`cursor_trimmed`), or when the cursor is
 * past anything this stream ever held (`invalid_cursor`, most likely another task's id).
 */
export function checkCursor(taskId: string, cursor: string, info: StreamInfo): void {
  if (compareStreamIds(cursor, info.lastGeneratedId) > 0) {
    throw new StreamRegistryError('invalid_cursor', `cursor ${cursor} is past the end of task ${taskId}`, {
      taskId,
      cursor,
    });
  }
  const trimmed =
    info.maxDeletedId !== undefined
      ? compareStreamIds(cursor, info.maxDeletedId) < 0
      : cursor !== ZERO_ID && info.firstId !== null && compareStreamIds(cursor, info.firstId) < 0;
  if (trimmed) {
    throw new StreamRegistryError(
      'cursor_trimmed',
      `entries after cursor ${cursor} of task ${taskId} were trimmed; oldest kept is ${info.firstId}`,
      { taskId, cursor, oldestId: info.firstId },
    );
  }
}

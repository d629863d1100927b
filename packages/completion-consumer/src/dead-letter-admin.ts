import { DEFAULT_COMPLETION_STREAM, deadLetterStreamFor } from '@chat/completion-schema';
import { flatRecord } from '@chat/redis-kit';
import { type RedisClient, runScript } from './scripts.js';

/** Where the dead letters live. */
export interface DeadLetterTarget {
  redis: RedisClient;
  /** Source stream. @defaultValue DEFAULT_COMPLETION_STREAM */
  stream?: string;
  /** Dead-letter stream. @defaultValue deadLetterStreamFor(stream) */
  deadLetterStream?: string;
}

/** One dead letter as stored. */
export interface DeadLetter {
  /** Id in the dead-letter stream. */
  id: string;
  /** Original `data`, verbatim; undefined when the original entry had none (see `fields`). */
  data: string | undefined;
  /** Original field list, only for an entry that had no `data` field. */
  fields: string[] | undefined;
  reason: string;
  error: string;
  deliveryCount: number;
  sourceStream: string;
  sourceId: string;
  consumer: string;
  failedAt: string;
}

function keys(target: DeadLetterTarget): { stream: string; dlq: string } {
  const stream = target.stream ?? DEFAULT_COMPLETION_STREAM;
  return { stream, dlq: target.deadLetterStream ?? deadLetterStreamFor(stream) };
}

function parse(id: string, list: string[]): DeadLetter {
  const f = flatRecord(list);
  let fields: string[] | undefined;
  if (f.fields !== undefined) {
    try {
      fields = JSON.parse(f.fields) as string[];
    } catch {
      fields = undefined;
    }
  }
  return {
    id,
    data: f.data,
    fields,
    reason: f.reason ?? '',
    error: f.error ?? '',
    deliveryCount: Number(f.delivery_count ?? 0),
    sourceStream: f.source_stream ?? '',
    sourceId: f.source_id ?? '',
    consumer: f.consumer ?? '',
    failedAt: f.failed_at ?? '',
  };
}

/** Lists dead letters oldest first, `count` at a time from `start` (inclusive; pass the last id + 1 to page). */
export async function listDeadLetters(
  target: DeadLetterTarget,
  options: { start?: string; count?: number; reason?: string } = {},
): Promise<DeadLetter[]> {
  const { dlq } = keys(target);
  const rows = (await target.redis.xrange(dlq, options.start ?? '-', '+', 'COUNT', options.count ?? 100)) as [
    string,
    string[],
  ][];
  const letters = rows.map(([id, list]) => parse(id, list));
  return options.reason ? letters.filter((l) => l.reason === options.reason) : letters;
}

/**
 * Replays one dead letter: re-XADDs its original entry to the source stream and removes it from the dead-letter
 * stream in one script (atomic per entry). Returns the new source entry id, or null when `id` does not exist.
 */
export async function replayDeadLetter(
  target: DeadLetterTarget,
  id: string,
  options: { maxLen?: number } = {},
): Promise<string | null> {
  const { stream, dlq } = keys(target);
  const result = await runScript(
    target.redis,
    'replay-dead-letter-2',
    [dlq, stream],
    [id, options.maxLen ?? 0],
  );
  return typeof result === 'string' ? result : null;
}

/** Replays every dead letter (optionally only those with `reason`), oldest first; returns how many. */
export async function replayAllDeadLetters(
  target: DeadLetterTarget,
  options: { reason?: string; maxLen?: number } = {},
): Promise<number> {
  let replayed = 0;
  let start = '-';
  for (;;) {
    const page = await listDeadLetters(target, { start, count: 100 });
    if (page.length === 0) return replayed;
    for (const letter of page) {
      if (options.reason && letter.reason !== options.reason) continue;
      if (await replayDeadLetter(target, letter.id, options)) replayed++;
    }
    start = `(${(page[page.length - 1] as DeadLetter).id}`;
  }
}

/** Deletes the whole dead-letter stream; returns how many dead letters it held. */
export async function purgeDeadLetters(target: DeadLetterTarget): Promise<number> {
  const { dlq } = keys(target);
  const length = await target.redis.xlen(dlq);
  await target.redis.del(dlq);
  return length;
}

import { DEFAULT_COMPLETION_STREAM, deadLetterStreamFor } from '@chat/completion-schema';
import { flatRecord } from '@chat/redis-kit';
import { ConsumerOptionsError } from './errors.js';
import { type RedisClient, runScript } from './scripts.js';

/** Where the dead letters live. */
export interface DeadLetterTarget {
  redis: RedisClient;
  /** Source stream. @defaultValue 'chat:completions' (DEFAULT_COMPLETION_STREAM) */
  stream?: string;
  /** Dead-letter stream. @defaultValue deadLetterStreamFor(stream) */
  deadLetterStream?: string;
}

/** Which dead letters {@link listDeadLetters} returns. */
export interface ListDeadLettersOptions {
  /** First id, inclusive; pass `(` and the last id seen to page on. @defaultValue '-' */
  start?: string;
  /** Most entries read. @defaultValue 100 */
  count?: number;
  /** Only dead letters with this `reason`. @defaultValue undefined (every reason) */
  reason?: string;
}

/** Options of {@link replayDeadLetter} and {@link replayAllDeadLetters}. */
export interface ReplayDeadLetterOptions {
  /** `MAXLEN ~` applied to the source stream by the re-XADD; 0 leaves it uncapped. @defaultValue 0 */
  maxLen?: number;
}

/**
 * Defaults of {@link DeadLetterTarget}, {@link ListDeadLettersOptions} and {@link ReplayDeadLetterOptions}; the
 * dead-letter stream is derived from `stream`.
 */
export const DEFAULT_DEAD_LETTER_ADMIN_OPTIONS = Object.freeze({
  /** @defaultValue 'chat:completions' */
  stream: DEFAULT_COMPLETION_STREAM,
  /** @defaultValue '-' */
  start: '-',
  /** @defaultValue 100 */
  count: 100,
  /** @defaultValue 0 */
  maxLen: 0,
} as const);

/** What the dead-letter admin functions run with once {@link DEFAULT_DEAD_LETTER_ADMIN_OPTIONS} are applied. */
interface ResolvedDeadLetterAdmin {
  redis: RedisClient;
  stream: string;
  dlq: string;
  start: string;
  count: number;
  maxLen: number;
  reason: string | undefined;
}

/** Applies {@link DEFAULT_DEAD_LETTER_ADMIN_OPTIONS} and validates, throwing a {@link ConsumerOptionsError}. */
function resolveDeadLetterAdmin(
  target: DeadLetterTarget,
  options: ListDeadLettersOptions & ReplayDeadLetterOptions = {},
): ResolvedDeadLetterAdmin {
  const d = DEFAULT_DEAD_LETTER_ADMIN_OPTIONS;
  const stream = target.stream ?? d.stream;
  const count = options.count ?? d.count;
  const maxLen = options.maxLen ?? d.maxLen;
  if (!Number.isInteger(count) || count < 1)
    throw new ConsumerOptionsError(`count must be a positive integer, got ${String(count)}`, {
      option: 'count',
    });
  if (!Number.isInteger(maxLen) || maxLen < 0)
    throw new ConsumerOptionsError(`maxLen must be an integer of 0 or more, got ${String(maxLen)}`, {
      option: 'maxLen',
    });
  return {
    redis: target.redis,
    stream,
    dlq: target.deadLetterStream ?? deadLetterStreamFor(stream),
    start: options.start ?? d.start,
    count,
    maxLen,
    reason: options.reason,
  };
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
  options: ListDeadLettersOptions = {},
): Promise<DeadLetter[]> {
  const { redis, dlq, start, count, reason } = resolveDeadLetterAdmin(target, options);
  const rows = (await redis.xrange(dlq, start, '+', 'COUNT', count)) as [string, string[]][];
  const letters = rows.map(([id, list]) => parse(id, list));
  return reason ? letters.filter((l) => l.reason === reason) : letters;
}

/**
 * Replays one dead letter: re-XADDs its original entry to the source stream and removes it from the dead-letter
 * stream in one script (atomic per entry). Returns the new source entry id, or null when `id` does not exist.
 */
export async function replayDeadLetter(
  target: DeadLetterTarget,
  id: string,
  options: ReplayDeadLetterOptions = {},
): Promise<string | null> {
  const { redis, stream, dlq, maxLen } = resolveDeadLetterAdmin(target, options);
  const result = await runScript(redis, 'replay-dead-letter-2', [dlq, stream], [id, maxLen]);
  return typeof result === 'string' ? result : null;
}

/** Replays every dead letter (optionally only those with `reason`), oldest first; returns how many. */
export async function replayAllDeadLetters(
  target: DeadLetterTarget,
  options: ReplayDeadLetterOptions & Pick<ListDeadLettersOptions, 'reason'> = {},
): Promise<number> {
  const { start: first, reason } = resolveDeadLetterAdmin(target, options);
  let replayed = 0;
  let start = first;
  for (;;) {
    const page = await listDeadLetters(target, { start });
    if (page.length === 0) return replayed;
    for (const letter of page) {
      if (reason && letter.reason !== reason) continue;
      if (await replayDeadLetter(target, letter.id, options)) replayed++;
    }
    start = `(${(page[page.length - 1] as DeadLetter).id}`;
  }
}

/** Deletes the whole dead-letter stream; returns how many dead letters it held. */
export async function purgeDeadLetters(target: DeadLetterTarget): Promise<number> {
  const { dlq } = resolveDeadLetterAdmin(target);
  const length = await target.redis.xlen(dlq);
  await target.redis.del(dlq);
  return length;
}

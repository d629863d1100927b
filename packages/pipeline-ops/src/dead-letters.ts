import { type DeadLetter, listDeadLetters, replayDeadLetter } from '@chat/completion-consumer';
import { type DecodeResult, decode } from '@chat/completion-schema';
import { compareStreamIds, entryTimestamp, isStreamId, type RedisClient } from '@chat/redis-kit';
import type { ConnectionConfig } from './connection-config.js';
import { NotFoundError, UsageError } from './errors.js';
import { type PipelinePartition, pipelinePartitions } from './pipeline-streams.js';

/** Which dead letters a command means; every given field must match. */
export interface DeadLetterFilter {
  /** The dead-letter reason (`invalid_json`, `task_not_found`, …). */
  reason?: string | undefined;
  /** Dead-lettered at or after this time (epoch ms; from the dead letter's id). */
  since?: number | undefined;
  /** Dead-lettered at or before this time (epoch ms). */
  until?: number | undefined;
  /** The id the entry had in the completion stream. */
  sourceId?: string | undefined;
  /** Only this partition. */
  partition?: number | undefined;
}

/** A dead letter with where it lives and its original data decoded. */
export interface DeadLetterView extends DeadLetter {
  partition: number;
  deadLetterStream: string;
  /** The original entry through the wire codec: the message, or why it was refused. */
  decoded: DecodeResult;
}

/**
 * A dead letter as plain JSON (the CLI's `--json`, the dashboard's API): the stored fields, with the original
 * message decoded under `message`, or under `decodeError` why it is not a valid one.
 */
export function deadLetterJson(letter: DeadLetterView): Record<string, unknown> {
  const { decoded, ...stored } = letter;
  return { ...stored, ...(decoded.ok ? { message: decoded.message } : { decodeError: decoded.error }) };
}

/** One page of {@link listDeadLetterViews}; `next` is the cursor of the following page, null at the end. */
export interface DeadLetterPage {
  letters: DeadLetterView[];
  next: string | null;
}

function view(letter: DeadLetter, partition: PipelinePartition): DeadLetterView {
  const fields = letter.data !== undefined ? ['data', letter.data] : (letter.fields ?? []);
  return {
    ...letter,
    partition: partition.partition,
    deadLetterStream: partition.deadLetterStream,
    decoded: decode(fields),
  };
}

function matches(letter: DeadLetter, filter: DeadLetterFilter): boolean {
  if (filter.reason !== undefined && letter.reason !== filter.reason) return false;
  if (filter.sourceId !== undefined && letter.sourceId !== filter.sourceId) return false;
  if (filter.until !== undefined && entryTimestamp(letter.id) > filter.until) return false;
  return true;
}

function partitionsOf(config: Pick<ConnectionConfig, 'stream' | 'partitions'>, filter: DeadLetterFilter) {
  const all = pipelinePartitions(config);
  if (filter.partition === undefined) return all;
  const one = all[filter.partition];
  if (!one)
    throw new UsageError(`partition ${filter.partition} does not exist (PARTITIONS is ${config.partitions})`);
  return [one];
}

/** Matching dead letters of one partition after `after` (exclusive), oldest first, until `limit` or the end. */
async function scanPartition(
  redis: RedisClient,
  partition: PipelinePartition,
  filter: DeadLetterFilter,
  after: string | undefined,
  limit: number,
): Promise<DeadLetterView[]> {
  const target = { redis, stream: partition.stream, deadLetterStream: partition.deadLetterStream };
  const found: DeadLetterView[] = [];
  let start = after ? `(${after}` : filter.since !== undefined ? `${filter.since}-0` : '-';
  while (found.length < limit) {
    const page = await listDeadLetters(target, { start, count: 200 });
    for (const letter of page) {
      if (filter.until !== undefined && entryTimestamp(letter.id) > filter.until) return found;
      if (matches(letter, filter)) found.push(view(letter, partition));
      if (found.length === limit) return found;
    }
    if (page.length < 200) return found;
    start = `(${(page[page.length - 1] as DeadLetter).id}`;
  }
  return found;
}

/**
 * One page of the dead letters matching `filter`, oldest first over every partition (merged by id, which is the
 * time they were dead-lettered); pass `next` back as `after` for the following page.
 */
export async function listDeadLetterViews(
  redis: RedisClient,
  config: Pick<ConnectionConfig, 'stream' | 'partitions'>,
  filter: DeadLetterFilter,
  page: { after?: string | undefined; limit: number },
): Promise<DeadLetterPage> {
  const perPartition = await Promise.all(
    partitionsOf(config, filter).map((partition) =>
      scanPartition(redis, partition, filter, page.after, page.limit + 1),
    ),
  );
  const merged = perPartition
    .flat()
    .sort((a, b) => compareStreamIds(a.id, b.id) || a.partition - b.partition);
  const letters = merged.slice(0, page.limit);
  const next = merged.length > page.limit ? (letters[letters.length - 1]?.id ?? null) : null;
  return { letters, next };
}

/** Every dead letter matching `filter`, page by page (so a large dead-letter stream is never held at once). */
export async function* eachDeadLetter(
  redis: RedisClient,
  config: Pick<ConnectionConfig, 'stream' | 'partitions'>,
  filter: DeadLetterFilter,
): AsyncGenerator<DeadLetterView> {
  let after: string | undefined;
  for (;;) {
    const { letters, next } = await listDeadLetterViews(redis, config, filter, { after, limit: 500 });
    yield* letters;
    if (next === null) return;
    after = next;
  }
}

/** Counts the dead letters matching `filter`. */
export async function countDeadLetters(
  redis: RedisClient,
  config: Pick<ConnectionConfig, 'stream' | 'partitions'>,
  filter: DeadLetterFilter,
): Promise<number> {
  let count = 0;
  for await (const _ of eachDeadLetter(redis, config, filter)) count++;
  return count;
}

/** The dead letter with `id` (in `partition`, or in whichever partition holds it); {@link NotFoundError} otherwise. */
export async function getDeadLetter(
  redis: RedisClient,
  config: Pick<ConnectionConfig, 'stream' | 'partitions'>,
  id: string,
  partition?: number,
): Promise<DeadLetterView> {
  if (!isStreamId(id))
    throw new UsageError(`${JSON.stringify(id)} is not a stream entry id (like 1700000000000-0)`);
  const found = (
    await Promise.all(
      partitionsOf(config, { partition }).map(async (p) => {
        const [letter] = await listDeadLetters(
          { redis, stream: p.stream, deadLetterStream: p.deadLetterStream },
          { start: id, count: 1 },
        );
        return letter?.id === id ? view(letter, p) : undefined;
      }),
    )
  ).filter((letter): letter is DeadLetterView => letter !== undefined);
  if (found.length === 0) throw new NotFoundError(`no dead letter ${id}`);
  if (found.length > 1)
    throw new UsageError(
      `dead letter ${id} exists in partitions ${found.map((l) => l.partition).join(', ')}: give --partition`,
    );
  return found[0] as DeadLetterView;
}

/**
 * Replays one dead letter: its original entry goes back to its completion stream and leaves the dead-letter
 * stream in one script (atomic per entry). Returns the new entry id, or null when it was no longer there.
 */
export function replayDeadLetterView(redis: RedisClient, letter: DeadLetterView): Promise<string | null> {
  return replayDeadLetter(
    { redis, stream: letter.sourceStream || undefined, deadLetterStream: letter.deadLetterStream },
    letter.id,
  );
}

/** What {@link replayDeadLetters} and {@link purgeDeadLetterViews} did. */
export interface BulkResult {
  /** Dead letters that matched. */
  matched: number;
  /** Of those, replayed (or deleted); the rest were gone already (replayed or purged meanwhile). */
  done: number;
}

/** Replays every dead letter matching `filter`, one atomic script per entry; `onProgress` after each. */
export async function replayDeadLetters(
  redis: RedisClient,
  config: Pick<ConnectionConfig, 'stream' | 'partitions'>,
  filter: DeadLetterFilter,
  onProgress: (result: BulkResult) => void = () => {},
): Promise<BulkResult> {
  const result: BulkResult = { matched: 0, done: 0 };
  // Replayed entries leave the dead-letter stream, so paging by cursor never meets them again.
  for await (const letter of eachDeadLetter(redis, config, filter)) {
    result.matched++;
    if (await replayDeadLetterView(redis, letter)) result.done++;
    onProgress(result);
  }
  return result;
}

/** Deletes every dead letter matching `filter` (XDEL, 500 ids a call); `onProgress` after each call. */
export async function purgeDeadLetterViews(
  redis: RedisClient,
  config: Pick<ConnectionConfig, 'stream' | 'partitions'>,
  filter: DeadLetterFilter,
  onProgress: (result: BulkResult) => void = () => {},
): Promise<BulkResult> {
  const result: BulkResult = { matched: 0, done: 0 };
  let batch: DeadLetterView[] = [];
  const flush = async () => {
    const byStream = new Map<string, string[]>();
    for (const letter of batch)
      byStream.set(letter.deadLetterStream, [...(byStream.get(letter.deadLetterStream) ?? []), letter.id]);
    for (const [stream, ids] of byStream) result.done += await redis.xdel(stream, ...ids);
    batch = [];
    onProgress(result);
  };
  for await (const letter of eachDeadLetter(redis, config, filter)) {
    result.matched++;
    batch.push(letter);
    if (batch.length === 500) await flush();
  }
  if (batch.length > 0) await flush();
  return result;
}

import { readGroupFacts, readTrimFacts, trimPosition } from '@chat/completion-consumer/internal';
import { flatRecord, type RedisClient } from '@chat/redis-kit';
import type { ConnectionConfig } from './connection-config.js';
import { type PipelinePartition, pipelinePartitions } from './pipeline-streams.js';

/** One consumer of a group, as `XINFO CONSUMERS` reports it. */
export interface ConsumerStatus {
  name: string;
  /** Entries delivered to it and not acknowledged. */
  pending: number;
  /** Since its last attempted interaction (read, claim), in ms. */
  idleMs: number;
  /** Since its last successful interaction, in ms; null before Redis 7.2. */
  inactiveMs: number | null;
}

/** The state of one partition: its stream, its group, its consumers, its dead letters, its trimming. */
export interface PartitionStatus extends PipelinePartition {
  /** False when the stream does not exist (nothing was ever published, or it was deleted). */
  exists: boolean;
  length: number;
  group: {
    name: string;
    exists: boolean;
    /** Entries not yet delivered to the group; null when Redis cannot tell. */
    lag: number | null;
    /** Entries delivered and not acknowledged. */
    pending: number | null;
    /** Age of the oldest pending entry, from its id, in ms; null when none. */
    oldestPendingAgeMs: number | null;
    /** The group's position: the last entry delivered to any consumer. */
    lastDeliveredId: string | null;
  };
  consumers: ConsumerStatus[];
  deadLetters: {
    /** Entries in the dead-letter stream. */
    total: number;
    /** Counts by reason over the newest `scanned` entries (all of them unless over {@link DEAD_LETTER_SCAN_LIMIT}). */
    byReason: Record<string, number>;
    scanned: number;
  };
  trimming: {
    /** Oldest entry still in the stream. */
    firstId: string | null;
    /** Entries ever added (Redis 7+); null on older servers. */
    entriesAdded: number | null;
    /** Entries removed by trimming or XDEL: `entriesAdded − length`; null on older servers. */
    removed: number | null;
  };
  /** Entries removed before the group read them: `gap` when its position is older than the first entry. */
  loss: { gap: boolean; unread: number | null };
}

/** What {@link readPipelineStatus} returns: every partition of the pipeline, and when it was read. */
export interface PipelineStatus {
  at: string;
  group: string;
  partitions: PartitionStatus[];
}

/** The most dead letters one status read counts by reason, per partition (newest first); the total is always exact. */
export const DEAD_LETTER_SCAN_LIMIT = 10_000;

/**
 * Reads the state of every partition of the pipeline `config` names, partitions in parallel: each costs a few
 * round trips on its own node (the trim-facts script, XINFO GROUPS + XPENDING, XINFO CONSUMERS, XLEN + XREVRANGE
 * of the dead-letter stream).
 */
export async function readPipelineStatus(
  redis: RedisClient,
  config: Pick<ConnectionConfig, 'stream' | 'partitions' | 'group'>,
): Promise<PipelineStatus> {
  const partitions = await Promise.all(
    pipelinePartitions(config).map((partition) => partitionStatus(redis, partition, config.group)),
  );
  return { at: new Date().toISOString(), group: config.group, partitions };
}

async function partitionStatus(
  redis: RedisClient,
  partition: PipelinePartition,
  group: string,
): Promise<PartitionStatus> {
  const [length, facts, deadLetters] = await Promise.all([
    redis.xlen(partition.stream),
    readTrimFacts(redis, partition.stream, group),
    deadLetterCounts(redis, partition.deadLetterStream),
  ]);
  const exists = length > 0 || (await redis.exists(partition.stream)) === 1;
  const groupFacts = facts ? await readGroupFacts(redis, partition.stream, group) : undefined;
  // The reader reports a failure in the result (a scrape must not throw); an operator's status must not hide it.
  if (groupFacts?.redisError !== undefined) throw new Error(`${partition.stream}: ${groupFacts.redisError}`);
  const consumers = facts ? await consumerList(redis, partition.stream, group) : [];
  const position = facts ? trimPosition(facts) : { gap: false, deficit: null };
  return {
    ...partition,
    exists,
    length,
    group: {
      name: group,
      exists: facts !== undefined,
      lag: groupFacts?.lag ?? null,
      pending: groupFacts?.pending ?? null,
      oldestPendingAgeMs: groupFacts?.oldestPendingAgeMs ?? null,
      lastDeliveredId: facts?.lastDeliveredId ?? null,
    },
    consumers,
    deadLetters,
    trimming: {
      firstId: facts?.firstId ?? null,
      entriesAdded: facts?.entriesAdded ?? null,
      removed: facts?.entriesAdded != null ? Math.max(0, facts.entriesAdded - facts.length) : null,
    },
    loss: { gap: position.gap, unread: position.deficit },
  };
}

async function consumerList(redis: RedisClient, stream: string, group: string): Promise<ConsumerStatus[]> {
  const rows = (await redis.xinfo('CONSUMERS', stream, group)) as unknown[][];
  return rows.map((row) => {
    const record = flatRecord(row);
    return {
      name: String(record.name),
      pending: Number(record.pending ?? 0),
      idleMs: Number(record.idle ?? 0),
      inactiveMs: typeof record.inactive === 'number' && record.inactive >= 0 ? record.inactive : null,
    };
  });
}

async function deadLetterCounts(
  redis: RedisClient,
  deadLetterStream: string,
): Promise<PartitionStatus['deadLetters']> {
  const byReason: Record<string, number> = {};
  let scanned = 0;
  let end = '+';
  while (scanned < DEAD_LETTER_SCAN_LIMIT) {
    const count = Math.min(1000, DEAD_LETTER_SCAN_LIMIT - scanned);
    const rows = (await redis.xrevrange(deadLetterStream, end, '-', 'COUNT', count)) as [string, string[]][];
    for (const [, fields] of rows) {
      const reason = flatRecord(fields).reason ?? '';
      byReason[reason] = (byReason[reason] ?? 0) + 1;
    }
    scanned += rows.length;
    if (rows.length < count) break;
    end = `(${(rows[rows.length - 1] as [string, string[]])[0]}`;
  }
  return { total: await redis.xlen(deadLetterStream), byReason, scanned };
}

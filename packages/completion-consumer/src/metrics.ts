import { entryTimestamp, flatRecord } from '@chat/redis-kit';
import type { ConsumerState } from './events.js';
import { Histogram, type HistogramSnapshot } from './histogram.js';
import { errorMessage } from './redis-errors.js';
import type { RedisClient } from './scripts.js';

/** Monotonic counters of one consumer instance since it was created. */
export interface ConsumerCounters {
  /** Handlers that resolved (entries queued for acknowledgement). */
  processed: number;
  /** Handler runs that threw. */
  failed: number;
  /** Failed entries scheduled for another delivery. */
  retried: number;
  /** Entries dead-lettered, by reason. */
  deadLettered: Record<string, number>;
  /** Entries claimed from other consumers (XAUTOCLAIM) or after their own backoff. */
  claimed: number;
  /** Pending entries deleted from the stream before processing (`lost_before_processing`). */
  lost: number;
  /** Entries removed from the stream (producer `MAXLEN`, XTRIM) before the group read them: data loss. */
  trimmedUnread: number;
  /** Such removals the server could not count (Redis < 7.0, or the group's `entries-read` unknown). */
  trimmedUnreadUncounted: number;
  /** Running entries another consumer claimed before their handler finished. */
  leaseLost: number;
  /** Times the group was recreated after NOGROUP. */
  groupRecreated: number;
  /** Entries acknowledged. */
  acked: number;
  /** Redis errors recovered from. */
  errors: number;
}

/** A point-in-time view of a consumer, for readiness checks and Prometheus. */
export interface ConsumerMetricsSnapshot {
  stream: string;
  group: string;
  consumer: string;
  state: ConsumerState;
  counters: ConsumerCounters;
  /** Handlers running now. */
  inFlight: number;
  /** Entries read ahead and waiting for a slot (see the `prefetch` option). */
  prefetched: number;
  /** Acknowledgements queued and not yet sent. */
  ackQueue: number;
  /** Entries pending in the whole group (XPENDING); null when Redis could not be asked. */
  pending: number | null;
  /** Entries in the stream not yet delivered to the group (XINFO GROUPS `lag`); null when unknown. */
  lag: number | null;
  /** Age of the oldest pending entry of the group, from its id's timestamp, in ms; null when none or unknown. */
  oldestPendingAgeMs: number | null;
  /** Handler run time, in ms. */
  handlerDurationMs: HistogramSnapshot;
  /** From the entry's XADD (its id's timestamp) to the handler resolving, in ms. */
  endToEndLatencyMs: HistogramSnapshot;
  /** Set when the Redis part of the snapshot failed. */
  redisError?: string;
}

/** Counters and histograms one consumer updates as it works. */
export class ConsumerMetrics {
  readonly counters: ConsumerCounters = {
    processed: 0,
    failed: 0,
    retried: 0,
    deadLettered: {},
    claimed: 0,
    lost: 0,
    trimmedUnread: 0,
    trimmedUnreadUncounted: 0,
    leaseLost: 0,
    groupRecreated: 0,
    acked: 0,
    errors: 0,
  };
  readonly handlerDuration = new Histogram();
  readonly endToEnd = new Histogram();

  /** Counts one dead letter under `reason`. */
  deadLetter(reason: string): void {
    this.counters.deadLettered[reason] = (this.counters.deadLettered[reason] ?? 0) + 1;
  }
}

interface GroupFacts {
  pending: number | null;
  lag: number | null;
  oldestPendingAgeMs: number | null;
  redisError?: string;
}

/** Reads pending, lag and oldest pending age of `group` in one pipelined round trip. */
export async function readGroupFacts(redis: RedisClient, stream: string, group: string): Promise<GroupFacts> {
  try {
    const [groups, summary] = await Promise.all([
      redis.xinfo('GROUPS', stream) as Promise<unknown[][]>,
      redis.xpending(stream, group) as Promise<[number, string | null, string | null, unknown]>,
    ]);
    let lag: number | null = null;
    for (const info of groups) {
      const record = flatRecord(info);
      if (record.name === group) lag = typeof record.lag === 'number' ? record.lag : null;
    }
    const oldest = summary[1] ? Date.now() - entryTimestamp(summary[1]) : null;
    return { pending: Number(summary[0]), lag, oldestPendingAgeMs: oldest };
  } catch (error) {
    return { pending: null, lag: null, oldestPendingAgeMs: null, redisError: errorMessage(error) };
  }
}

import { entryTimestamp } from '@chat/redis-kit';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CompletionConsumer } from './consumer.js';
import type { ConsumerState } from './events.js';
import { DEFAULT_HISTOGRAM_BOUNDS_MS } from './histogram.js';
import type { ConsumerCounters, ConsumerMetricsSnapshot } from './metrics.js';

/** What a scrape knows about one consumer's snapshot; see {@link ConsumerMetricsCollectors.add}. */
export interface ConsumerMetricsReading {
  /** The newest snapshot there is (undefined until one was read); its counters and gauges are what a scrape shows. */
  snapshot: ConsumerMetricsSnapshot | undefined;
  /** True when `snapshot` is not from this scrape (Redis did not answer in time, or failed). */
  stale: boolean;
  /** When the Redis-side part of a snapshot was last read successfully (ms since the epoch), if ever. */
  lastSuccessAt: number | undefined;
}

/** The consumers a registry's `chat_consumer_*` collectors read at each scrape. */
export interface ConsumerMetricsCollectors {
  /**
   * Includes `consumer` in every scrape. `read` gives its snapshot; by default each scrape awaits
   * `consumer.metrics()` (which asks Redis), so pass your own to bound a scrape while Redis is slow, e.g. one that
   * serves the last known snapshot marked stale after a deadline.
   */
  add(consumer: CompletionConsumer, read?: () => Promise<ConsumerMetricsReading>): void;
}

const STATES: readonly ConsumerState[] = ['starting', 'ready', 'degraded', 'closing', 'closed'];
const BUCKETS_SECONDS = DEFAULT_HISTOGRAM_BOUNDS_MS.map((ms) => ms / 1000);
type Labels = { stream: string; group: string };
type Source = { consumer: CompletionConsumer; labels: Labels; read: () => Promise<ConsumerMetricsReading> };
type Scraped = { source: Source; reading: ConsumerMetricsReading };

/** Reads `consumer.metrics()` at each scrape, remembering when its Redis part last succeeded. */
function readEveryScrape(consumer: CompletionConsumer): () => Promise<ConsumerMetricsReading> {
  let last: { snapshot: ConsumerMetricsSnapshot; at: number } | undefined;
  return async () => {
    const snapshot = await consumer.metrics();
    if (snapshot.redisError === undefined) last = { snapshot, at: Date.now() };
    return {
      snapshot: last?.snapshot ?? snapshot,
      stale: last?.snapshot !== snapshot,
      lastSuccessAt: last?.at,
    };
  };
}

const COUNTERS: readonly [
  name: string,
  help: string,
  key: Exclude<keyof ConsumerCounters, 'deadLettered'>,
][] = [
  ['processed', 'Handlers that resolved.', 'processed'],
  ['failed', 'Handler runs that threw.', 'failed'],
  ['retried', 'Failed entries scheduled for another delivery.', 'retried'],
  ['claimed', 'Entries claimed from other consumers or after backoff.', 'claimed'],
  ['lost_before_processing', 'Pending entries trimmed away before anyone processed them.', 'lost'],
  [
    'trimmed_unread',
    'Entries trimmed from the stream (producer MAXLEN, XTRIM) before the group read them: lost.',
    'trimmedUnread',
  ],
  [
    'trimmed_unread_uncounted',
    'Trims before the group read the entries that the server could not count (Redis < 7.0).',
    'trimmedUnreadUncounted',
  ],
  ['lease_lost', 'Running entries another consumer claimed first.', 'leaseLost'],
  ['group_recreated', 'Times the consumer group was recreated after NOGROUP.', 'groupRecreated'],
  ['acked', 'Entries acknowledged.', 'acked'],
  ['redis_errors', 'Redis errors recovered from.', 'errors'],
];

const GAUGES: readonly [name: string, help: string, pick: (s: ConsumerMetricsSnapshot) => number | null][] = [
  ['in_flight', 'Handlers running now.', (s) => s.inFlight],
  ['pending', 'Entries pending in the group.', (s) => s.pending],
  ['lag', 'Entries not yet delivered to the group.', (s) => s.lag],
  [
    'oldest_pending_age_seconds',
    'Age of the oldest pending entry.',
    (s) => (s.oldestPendingAgeMs === null ? null : s.oldestPendingAgeMs / 1000),
  ],
];

/**
 * Registers the consumers' Prometheus families (`chat_consumer_*`, labelled `stream` and `group`) on a prom-client
 * `registry`: counters and gauges whose `collect()` reads each consumer's snapshot, once per scrape for all of them,
 * the current `state`, whether a snapshot is stale, and two histograms (handler duration and end-to-end latency, in
 * seconds) observed as entries are processed. Requires the optional peer `prom-client` (15.x).
 */
export function registerConsumerMetrics(registry: Registry): ConsumerMetricsCollectors {
  const sources: Source[] = [];
  // Every collect() of one scrape starts before any read settles, so they all share one read per consumer.
  let scrape: Promise<Scraped[]> | undefined;
  const scraped = (): Promise<Scraped[]> => {
    scrape ??= Promise.all(
      sources.map(async (source): Promise<Scraped> => {
        try {
          return { source, reading: await source.read() };
        } catch {
          // A reader that throws has nothing to show this scrape: no values, marked stale.
          return { source, reading: { snapshot: undefined, stale: true, lastSuccessAt: undefined } };
        }
      }),
    ).finally(() => {
      scrape = undefined;
    });
    return scrape;
  };
  const labelNames = ['stream', 'group'] as const;
  const registers = [registry];

  for (const [name, help, key] of COUNTERS) {
    const counter: Counter<'stream' | 'group'> = new Counter({
      name: `chat_consumer_${name}_total`,
      help,
      labelNames,
      registers,
      async collect() {
        const all = await scraped();
        counter.reset();
        for (const { source, reading } of all)
          if (reading.snapshot) counter.inc(source.labels, reading.snapshot.counters[key]);
      },
    });
  }
  const deadLettered: Counter<'stream' | 'group' | 'reason'> = new Counter({
    name: 'chat_consumer_dead_lettered_total',
    help: 'Entries dead-lettered, by reason.',
    labelNames: ['stream', 'group', 'reason'],
    registers,
    async collect() {
      const all = await scraped();
      deadLettered.reset();
      for (const { source, reading } of all)
        for (const [reason, n] of Object.entries(reading.snapshot?.counters.deadLettered ?? {}))
          deadLettered.inc({ ...source.labels, reason }, n);
    },
  });
  for (const [name, help, pick] of GAUGES) {
    const gauge: Gauge<'stream' | 'group'> = new Gauge({
      name: `chat_consumer_${name}`,
      help,
      labelNames,
      registers,
      async collect() {
        const all = await scraped();
        gauge.reset();
        for (const { source, reading } of all) {
          const value = reading.snapshot ? pick(reading.snapshot) : null;
          if (value !== null) gauge.set(source.labels, value);
        }
      },
    });
  }
  const state: Gauge<'stream' | 'group' | 'state'> = new Gauge({
    name: 'chat_consumer_state',
    help: 'Consumer state (1 for the current one).',
    labelNames: ['stream', 'group', 'state'],
    registers,
    collect() {
      // Read from the consumer itself, never from Redis, so it is current even when the snapshot is stale.
      state.reset();
      for (const { consumer, labels } of sources)
        for (const s of STATES) state.set({ ...labels, state: s }, consumer.state === s ? 1 : 0);
    },
  });
  const stale: Gauge<'stream' | 'group'> = new Gauge({
    name: 'chat_consumer_metrics_stale',
    help: "1 when Redis did not answer this scrape in time: the consumer's other chat_consumer_* values are the last known ones.",
    labelNames,
    registers,
    async collect() {
      const all = await scraped();
      stale.reset();
      for (const { source, reading } of all) stale.set(source.labels, reading.stale ? 1 : 0);
    },
  });
  const lastSuccess: Gauge<'stream' | 'group'> = new Gauge({
    name: 'chat_consumer_metrics_last_success_timestamp_seconds',
    help: "Unix time of the last scrape that read the consumer's Redis-side values.",
    labelNames,
    registers,
    async collect() {
      const all = await scraped();
      lastSuccess.reset();
      for (const { source, reading } of all)
        if (reading.lastSuccessAt !== undefined) lastSuccess.set(source.labels, reading.lastSuccessAt / 1000);
    },
  });
  const handlerDuration = new Histogram({
    name: 'chat_consumer_handler_duration_seconds',
    help: 'Handler run time.',
    labelNames,
    buckets: [...BUCKETS_SECONDS],
    registers,
  });
  const endToEnd = new Histogram({
    name: 'chat_consumer_end_to_end_latency_seconds',
    help: 'From XADD (the entry id time) to the handler resolving.',
    labelNames,
    buckets: [...BUCKETS_SECONDS],
    registers,
  });

  return {
    add(consumer, read = readEveryScrape(consumer)) {
      const labels = { stream: consumer.options.stream, group: consumer.options.group };
      sources.push({ consumer, labels, read });
      handlerDuration.zero(labels);
      endToEnd.zero(labels);
      // prom-client histograms cannot be set from a snapshot's buckets, so these observe each entry as it resolves.
      consumer.on('processed', ({ entryId, durationMs }) => {
        handlerDuration.observe(labels, Math.max(0, durationMs) / 1000);
        const sinceXadd = Date.now() - entryTimestamp(entryId);
        if (Number.isFinite(sinceXadd)) endToEnd.observe(labels, Math.max(0, sinceXadd) / 1000);
      });
    },
  };
}

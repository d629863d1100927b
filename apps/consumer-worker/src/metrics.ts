import type {
  CompletionConsumer,
  ConsumerMetricsSnapshot,
  HistogramSnapshot,
} from '@chat/completion-consumer';
import { Counter, collectDefaultMetrics, Registry } from 'prom-client';
import type { CompletionOutcome } from './completion-handler.js';
import { LastKnown } from './last-known.js';

/**
 * How long a scrape waits for a consumer's Redis-side snapshot (XINFO GROUPS + XPENDING) before it serves the last
 * known one marked stale: well under a second, so `/metrics` answers within about 1 s whatever state Redis is in
 * (down, frozen, failing over), which is exactly when the scrape matters.
 */
export const METRICS_REDIS_DEADLINE_MS = 500;

/** How current one consumer's values in a scrape are; see {@link renderConsumerMetrics}. */
export interface SnapshotFreshness {
  stream: string;
  group: string;
  /** The consumer's state now (read without Redis, so never stale). */
  state: ConsumerMetricsSnapshot['state'];
  /** True when the Redis-side values could not be read within the scrape's deadline. */
  stale: boolean;
  /** When the Redis-side values were last read successfully (ms since the epoch), if ever. */
  lastSuccessAt: number | undefined;
}

type Sample = [labels: Record<string, string>, value: number];

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function line(name: string, labels: Record<string, string>, value: number): string {
  const text = Object.entries(labels)
    .map(([key, v]) => `${key}="${escapeLabel(v)}"`)
    .join(',');
  return `${name}${text ? `{${text}}` : ''} ${Number.isFinite(value) ? value : 0}`;
}

function family(name: string, type: 'counter' | 'gauge', help: string, samples: Sample[]): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples.map(([l, v]) => line(name, l, v))];
}

/** A consumer histogram (ms buckets) as a Prometheus histogram in seconds, with cumulative buckets. */
function histogram(
  name: string,
  help: string,
  labels: Record<string, string>,
  h: HistogramSnapshot,
): string[] {
  const out = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
  let cumulative = 0;
  h.bounds.forEach((bound, i) => {
    cumulative += h.counts[i] ?? 0;
    out.push(line(`${name}_bucket`, { ...labels, le: String(bound / 1000) }, cumulative));
  });
  out.push(line(`${name}_bucket`, { ...labels, le: '+Inf' }, h.count));
  out.push(line(`${name}_sum`, labels, h.sum / 1000), line(`${name}_count`, labels, h.count));
  return out;
}

/**
 * Renders consumer snapshots (one per consumed stream) as Prometheus text. With `freshness` (one per consumer,
 * including those without any snapshot yet) the state gauge shows each consumer's current state, and
 * `chat_consumer_metrics_stale` / `chat_consumer_metrics_last_success_timestamp_seconds` say how old the rest is.
 */
export function renderConsumerMetrics(
  snapshots: readonly ConsumerMetricsSnapshot[],
  freshness?: readonly SnapshotFreshness[],
): string {
  const base = (s: { stream: string; group: string }) => ({ stream: s.stream, group: s.group });
  const counter = (name: string, help: string, pick: (s: ConsumerMetricsSnapshot) => number) =>
    family(
      `chat_consumer_${name}_total`,
      'counter',
      help,
      snapshots.map((s) => [base(s), pick(s)]),
    );
  const gauge = (name: string, help: string, pick: (s: ConsumerMetricsSnapshot) => number | null) =>
    family(
      `chat_consumer_${name}`,
      'gauge',
      help,
      snapshots.filter((s) => pick(s) !== null).map((s) => [base(s), pick(s) as number]),
    );
  const states = ['starting', 'ready', 'degraded', 'closing', 'closed'];
  return [
    ...counter('processed', 'Handlers that resolved.', (s) => s.counters.processed),
    ...counter('failed', 'Handler runs that threw.', (s) => s.counters.failed),
    ...counter('retried', 'Failed entries scheduled for another delivery.', (s) => s.counters.retried),
    ...family(
      'chat_consumer_dead_lettered_total',
      'counter',
      'Entries dead-lettered, by reason.',
      snapshots.flatMap((s) =>
        Object.entries(s.counters.deadLettered).map(([reason, n]): Sample => [{ ...base(s), reason }, n]),
      ),
    ),
    ...counter(
      'claimed',
      'Entries claimed from other consumers or after backoff.',
      (s) => s.counters.claimed,
    ),
    ...counter(
      'lost_before_processing',
      'Pending entries trimmed away before anyone processed them.',
      (s) => s.counters.lost,
    ),
    ...counter(
      'trimmed_unread',
      'Entries trimmed from the stream (producer MAXLEN, XTRIM) before the group read them: lost.',
      (s) => s.counters.trimmedUnread,
    ),
    ...counter(
      'trimmed_unread_uncounted',
      'Trims before the group read the entries that the server could not count (Redis < 7.0).',
      (s) => s.counters.trimmedUnreadUncounted,
    ),
    ...counter('lease_lost', 'Running entries another consumer claimed first.', (s) => s.counters.leaseLost),
    ...counter(
      'group_recreated',
      'Times the consumer group was recreated after NOGROUP.',
      (s) => s.counters.groupRecreated,
    ),
    ...counter('acked', 'Entries acknowledged.', (s) => s.counters.acked),
    ...counter('redis_errors', 'Redis errors recovered from.', (s) => s.counters.errors),
    ...gauge('in_flight', 'Handlers running now.', (s) => s.inFlight),
    ...gauge('pending', 'Entries pending in the group.', (s) => s.pending),
    ...gauge('lag', 'Entries not yet delivered to the group.', (s) => s.lag),
    ...gauge('oldest_pending_age_seconds', 'Age of the oldest pending entry.', (s) =>
      s.oldestPendingAgeMs === null ? null : s.oldestPendingAgeMs / 1000,
    ),
    ...family(
      'chat_consumer_state',
      'gauge',
      'Consumer state (1 for the current one).',
      (freshness ?? snapshots).flatMap((s) =>
        states.map((state): Sample => [{ ...base(s), state }, s.state === state ? 1 : 0]),
      ),
    ),
    ...(freshness
      ? [
          ...family(
            'chat_consumer_metrics_stale',
            'gauge',
            "1 when Redis did not answer this scrape in time: the consumer's other chat_consumer_* values are the last known ones.",
            freshness.map((f): Sample => [base(f), f.stale ? 1 : 0]),
          ),
          ...family(
            'chat_consumer_metrics_last_success_timestamp_seconds',
            'gauge',
            "Unix time of the last scrape that read the consumer's Redis-side values.",
            freshness
              .filter((f) => f.lastSuccessAt !== undefined)
              .map((f): Sample => [base(f), (f.lastSuccessAt as number) / 1000]),
          ),
        ]
      : []),
    ...snapshots.flatMap((s) =>
      histogram('chat_consumer_handler_duration_seconds', 'Handler run time.', base(s), s.handlerDurationMs),
    ),
    ...snapshots.flatMap((s) =>
      histogram(
        'chat_consumer_end_to_end_latency_seconds',
        'From XADD (the entry id time) to the handler resolving.',
        base(s),
        s.endToEndLatencyMs,
      ),
    ),
  ]
    .filter((text, i, all) => !(text.startsWith('# HELP') && all.indexOf(text) !== i))
    .filter((text, i, all) => !(text.startsWith('# TYPE') && all.indexOf(text) !== i))
    .join('\n');
}

/** The worker's Prometheus registry: process metrics, completion outcomes, and the consumers' snapshots. */
export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly consumers: {
    consumer: CompletionConsumer;
    snapshot: LastKnown<ConsumerMetricsSnapshot>;
  }[] = [];
  private readonly outcomes = new Counter({
    name: 'chat_completions_total',
    help: 'Completion messages settled, by outcome (completed, failed, duplicate) and tool.',
    labelNames: ['outcome', 'tool'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Includes `consumer`'s snapshot in every scrape, read from Redis within {@link METRICS_REDIS_DEADLINE_MS}
   * (one read at a time; a scrape that finds one under way waits for it rather than sending another).
   */
  attachConsumer(consumer: CompletionConsumer): void {
    // A snapshot whose Redis part failed lacks pending and lag: serve the last complete one, marked stale.
    const snapshot = new LastKnown(async () => {
      const taken = await consumer.metrics();
      if (taken.redisError !== undefined) throw new Error(taken.redisError);
      return taken;
    }, METRICS_REDIS_DEADLINE_MS);
    this.consumers.push({ consumer, snapshot });
  }

  /** Counts one settled completion. */
  recordOutcome(outcome: CompletionOutcome, tool: string): void {
    this.outcomes.inc({ outcome, tool });
  }

  /** How many completions settled with `outcome` so far (all tools). */
  async outcomeCount(outcome: CompletionOutcome): Promise<number> {
    const metric = await this.outcomes.get();
    return metric.values.filter((v) => v.labels.outcome === outcome).reduce((sum, v) => sum + v.value, 0);
  }

  /**
   * The full scrape: prom-client's registry followed by the consumers' families. Answers within about
   * {@link METRICS_REDIS_DEADLINE_MS} whatever Redis does: what Redis did not answer in time is the last known
   * value, flagged by `chat_consumer_metrics_stale`.
   */
  async render(): Promise<{ contentType: string; body: string }> {
    const readings = await Promise.all(this.consumers.map(({ snapshot }) => snapshot.read()));
    const snapshots: ConsumerMetricsSnapshot[] = [];
    const freshness = this.consumers.map(({ consumer }, i): SnapshotFreshness => {
      const reading = readings[i]!;
      if (reading.value) snapshots.push(reading.value);
      return {
        stream: consumer.options.stream,
        group: consumer.options.group,
        state: consumer.state,
        stale: !reading.fresh,
        lastSuccessAt: reading.at,
      };
    });
    const body = `${await this.registry.metrics()}\n${renderConsumerMetrics(snapshots, freshness)}\n`;
    return { contentType: this.registry.contentType, body };
  }
}

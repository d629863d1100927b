import type { CompletionConsumer, ConsumerMetricsSnapshot } from '@chat/completion-consumer';
import {
  type ConsumerMetricsCollectors,
  registerConsumerMetrics,
} from '@chat/completion-consumer/prometheus';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { CompletionOutcome } from './completion-handler.js';
import type { ForeignConsumer } from './foreign-consumers.js';
import { LastKnown } from './last-known.js';

/**
 * How long a scrape waits for a consumer's Redis-side snapshot (XINFO GROUPS + XPENDING) before it serves the last
 * known one marked stale: well under a second, so `/metrics` answers within about 1 s whatever state Redis is in
 * (down, frozen, failing over), which is exactly when the scrape matters.
 */
export const METRICS_REDIS_DEADLINE_MS = 500;

/** The worker's Prometheus registry: process metrics, completion outcomes, and the consumers' snapshots. */
export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly consumers: ConsumerMetricsCollectors = registerConsumerMetrics(this.registry);
  private readonly outcomes = new Counter({
    name: 'chat_completions_total',
    help: 'Completion messages settled, by outcome (completed, failed, duplicate) and tool.',
    labelNames: ['outcome', 'tool'],
    registers: [this.registry],
  });

  private readonly foreignPending = new Gauge({
    name: 'chat_worker_foreign_consumer_pending',
    help: 'Entries pending on consumers of the Python original in this group, at the last check (0 once the cutover is done).',
    labelNames: ['stream', 'group', 'consumer'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Replaces the foreign consumers' pending counts with one check's findings. */
  recordForeignConsumers(found: readonly ForeignConsumer[]): void {
    this.foreignPending.reset();
    for (const c of found) {
      this.foreignPending.set({ stream: c.stream, group: c.group, consumer: c.consumer }, c.pending);
    }
  }

  /**
   * Includes `consumer`'s snapshot in every scrape, read from Redis within {@link METRICS_REDIS_DEADLINE_MS}
   * (one read at a time; a scrape that finds one under way waits for it rather than sending another).
   */
  attachConsumer(consumer: CompletionConsumer): void {
    // A snapshot whose Redis part failed lacks pending and lag: serve the last complete one, marked stale.
    const snapshot = new LastKnown<ConsumerMetricsSnapshot>(async () => {
      const taken = await consumer.metrics();
      if (taken.redisError !== undefined) throw new Error(taken.redisError);
      return taken;
    }, METRICS_REDIS_DEADLINE_MS);
    this.consumers.add(consumer, async () => {
      const reading = await snapshot.read();
      return { snapshot: reading.value, stale: !reading.fresh, lastSuccessAt: reading.at };
    });
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
   * The full scrape of the registry: process metrics, outcomes and the consumers' `chat_consumer_*` families.
   * Answers within about {@link METRICS_REDIS_DEADLINE_MS} whatever Redis does: what Redis did not answer in time is
   * the last known value, flagged by `chat_consumer_metrics_stale`.
   */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

import { CompletionConsumer } from '@chat/completion-consumer';
import { createPublisher } from '@chat/completion-publisher';
import type { OfferedLoadJob, ScenarioOutcome } from '../child-protocol.js';
import { LatencyHistogram } from '../latency-histogram.js';
import { benchMessage } from '../messages.js';
import { until } from './consumer.js';
import type { ScenarioContext } from './context.js';

/**
 * Publishes at a fixed offered rate while the consumer (no-op handler) runs, and records publish→handled latency
 * in an HDR histogram. The producer is open-loop (it never waits for the consumer, so a slow consumer cannot
 * slow the offered rate and hide its own latency); each message carries the moment `publishMany` was called
 * (`result.sent_at`, `performance.now()` of this process). Producer and consumer share this process: one clock,
 * and the RSS includes both.
 */
export async function runOfferedLoad(job: OfferedLoadJob, ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const histogram = new LatencyHistogram();
  const total = Math.round(job.rate * job.seconds);
  let handled = 0;
  let recordFrom = Number.POSITIVE_INFINITY;
  const consumer = new CompletionConsumer({
    url: job.url,
    stream: job.stream,
    group: job.group,
    consumer: 'bench',
    concurrency: job.concurrency,
    handler: async (message) => {
      const sentAt = (message.result as { sent_at?: number } | null)?.sent_at ?? 0;
      if (sentAt >= recordFrom) histogram.recordMs(performance.now() - sentAt);
      handled++;
      ctx.progress(handled);
    },
  });
  // Production settings a latency-sensitive producer would use: no per-message script, a capped stream.
  const publisher = createPublisher({ url: job.url, stream: job.stream, idempotency: false });
  await publisher.publishMany([benchMessage(-1, { sent_at: 0 })]);
  await consumer.start();
  await until(() => handled >= 1, 10_000);

  await ctx.measuring();
  const started = performance.now();
  recordFrom = started + job.warmupSeconds * 1000;
  const interval = 1000 / job.rate;
  const inFlight = new Set<Promise<unknown>>();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor((performance.now() - started) / interval) + 1);
    if (due > sent) {
      const batch = [];
      const now = performance.now();
      for (let i = sent; i < due; i++) batch.push(benchMessage(i, { sent_at: now }));
      const p = publisher.publishMany(batch);
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      sent = due;
    }
    // ~1 ms ticks: each tick sends what fell due since the last, so the offered rate holds on a busy loop.
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inFlight);
  await until(() => handled >= total + 1, 120_000);
  const elapsedMs = performance.now() - started;
  await ctx.measured();
  await consumer.close();
  await publisher.close();
  return { messages: total, elapsedMs, latency: histogram.summary() };
}

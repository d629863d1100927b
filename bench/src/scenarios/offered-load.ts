import { CompletionConsumer, StreamTrimmer } from '@chat/completion-consumer';
import { Redis } from 'ioredis';
import type { OfferedLoadJob, ScenarioOutcome } from '../child-protocol.js';
import { LatencyHistogram } from '../latency-histogram.js';
import { until } from './consumer.js';
import type { ScenarioContext } from './context.js';
import { monotonicMicros, spawnPacedProducer } from './paced-producer.js';

/**
 * Consumes (no-op handler) while a separate producer process publishes at a fixed offered rate, and records
 * publish→handled latency in an HDR histogram: the producer stamps `result.sent_us` on CLOCK_MONOTONIC, which
 * this process reads too, so the difference is exact across processes. The producer runs in its own process so
 * the RSS sampled here is the consuming process's alone. The consumer side trims the stream safely
 * (`StreamTrimmer`, every second), as the READMEs recommend when a consumer runs.
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
      const sentUs = (message.result as { sent_us?: number } | null)?.sent_us ?? 0;
      if (sentUs >= recordFrom) histogram.recordMs((monotonicMicros() - sentUs) / 1000);
      handled++;
      ctx.progress(handled);
    },
  });
  const trimmerClient = new Redis(job.url);
  const trimmer = new StreamTrimmer({ redis: trimmerClient, stream: job.stream, intervalMs: 1000 });
  await consumer.start();
  trimmer.start();

  await ctx.measuring();
  recordFrom = monotonicMicros() + job.warmupSeconds * 1e6;
  const producer = await spawnPacedProducer(job);
  // An overloaded run leaves a backlog; give it time to drain, then report what was handled rather than fail,
  // so the latency and RSS of an overload are still on record.
  const drained = await until(() => handled >= total, Math.max(60_000, job.seconds * 500)).then(
    () => true,
    () => false,
  );
  // The window the load was offered in (the producer's), not our set-up: msgs/s then reads as the rate achieved.
  const elapsedMs = Math.max(producer.outcome.elapsedMs, 1);
  await ctx.measured();
  const { counters } = await consumer.metrics();
  await trimmer.close();
  await trimmerClient.quit();
  await consumer.close();
  if (counters.lost > 0) throw new Error(`${counters.lost} entries were lost before processing`);
  const achieved = Math.round(producer.outcome.messages / (producer.outcome.elapsedMs / 1000));
  const notes = [
    achieved < job.rate * 0.97 ? `producer reached only ${achieved}/s` : '',
    producer.outcome.note ?? '',
    drained ? '' : `overloaded: ${total - handled} of ${total} not handled when the run ended`,
  ].filter(Boolean);
  return {
    messages: handled,
    elapsedMs,
    latency: histogram.summary(),
    ...(notes.length ? { note: notes.join('; ') } : {}),
  };
}

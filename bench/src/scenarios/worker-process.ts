import { createLogger, createWorker, loadConfig } from '@chat/consumer-worker';
import type { ScenarioOutcome, WorkerJob } from '../child-protocol.js';
import { LatencyHistogram } from '../latency-histogram.js';
import { until } from './consumer.js';
import type { ScenarioContext } from './context.js';
import { monotonicMicros } from './paced-producer.js';

/**
 * The worker as it is deployed: `createWorker` over `loadConfig` of the environment a deployment sets (no HTTP
 * server, silent log), in this process alone. Runs from `start()` until `n` entries are handled and acknowledged;
 * its first progress report (100 ms after `start()` resolved) says it is consuming.
 */
export async function runWorkerProcess(job: WorkerJob, ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const config = loadConfig({
    REDIS_URL: job.url,
    COMPLETION_STREAM: job.stream,
    CONSUMER_GROUP: job.group,
    CONSUMER_NAME: 'bench-worker',
    CONCURRENCY: String(job.concurrency),
    LOG_LEVEL: 'silent',
  });
  const pickup = new LatencyHistogram();
  const hooks = job.recordPickup
    ? {
        default: {
          transform: async ({ message }: { message: { result?: unknown } }) => {
            const sentUs = (message.result as { sent_us?: number } | null)?.sent_us;
            if (typeof sentUs === 'number') pickup.recordMs((monotonicMicros() - sentUs) / 1000);
            return undefined;
          },
        },
      }
    : undefined;
  const worker = createWorker({
    config,
    logger: createLogger('silent'),
    http: false,
    ...(hooks ? { hooks } : {}),
  });
  let handled = 0;
  let markMs: number | undefined;
  const started = { at: 0 };
  for (const consumer of worker.consumers)
    consumer.on('processed', () => {
      handled++;
      ctx.progress(handled);
      if (job.markAt !== undefined && markMs === undefined && handled >= job.markAt)
        markMs = performance.now() - started.at;
    });
  started.at = performance.now();
  await worker.start();
  // Sampling starts here, so the first progress report tells the parent the worker is consuming.
  await ctx.measuring();
  await until(() => handled >= job.n, 900_000);
  await until(async () => (await worker.consumer.metrics()).counters.acked >= job.n, 60_000, 1);
  const elapsedMs = performance.now() - started.at;
  await ctx.measured();
  const { counters } = await worker.consumer.metrics();
  await worker.close();
  const failures = counters.failed + Object.values(counters.deadLettered).reduce((a, b) => a + b, 0);
  if (failures > 0) throw new Error(`${failures} entries failed or were dead-lettered`);
  const figures: Record<string, number> = {};
  if (markMs !== undefined) figures.markMs = markMs;
  if (job.recordPickup) {
    const { p50Ms, p99Ms } = pickup.summary();
    figures.pickupP50Ms = p50Ms;
    figures.pickupP99Ms = p99Ms;
  }
  return { messages: handled, elapsedMs, figures };
}

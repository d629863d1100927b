import { createLogger, createWorker, loadConfig } from '@chat/consumer-worker';
import type { ScenarioOutcome, WorkerJob } from '../child-protocol.js';
import { until } from './consumer.js';
import type { ScenarioContext } from './context.js';

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
  const worker = createWorker({ config, logger: createLogger('silent'), http: false });
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
  return { messages: handled, elapsedMs, ...(markMs === undefined ? {} : { figures: { markMs } }) };
}

import { CompletionConsumer } from '@chat/completion-consumer';
import type { ConsumerJob, ScenarioOutcome } from '../child-protocol.js';
import type { ScenarioContext } from './context.js';
import { loadFullPathHandler } from './full-path-handler.js';

/** Resolves when `check()` holds, polling every `everyMs`; rejects after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 2) {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * The consumer engine over `n` preloaded entries, timed from `start()` until every entry is acknowledged
 * (the consumer's `acked` counter reaches `n`), so batched acks are inside the measurement.
 */
export async function runConsumer(job: ConsumerJob, ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const fullPath = job.handler === 'full-path' ? loadFullPathHandler(job.url) : undefined;
  let handled = 0;
  const consumer = new CompletionConsumer({
    ...(fullPath ? { redis: fullPath.redis } : { url: job.url }),
    stream: job.stream,
    group: job.group,
    consumer: 'bench',
    concurrency: job.concurrency,
    ...(job.prefetch === undefined ? {} : { prefetch: job.prefetch }),
    handler: fullPath ? fullPath.handler : async () => {},
  });
  consumer.on('processed', () => {
    handled++;
    ctx.progress(handled);
  });
  await ctx.measuring();
  const started = performance.now();
  await consumer.start();
  await until(() => handled >= job.n, 600_000);
  await until(async () => (await consumer.metrics()).counters.acked >= job.n, 60_000, 1);
  const elapsedMs = performance.now() - started;
  await ctx.measured();
  const { counters } = await consumer.metrics();
  await consumer.close();
  await fullPath?.close();
  const failures = counters.failed + Object.values(counters.deadLettered).reduce((a, b) => a + b, 0);
  if (failures > 0) throw new Error(`${failures} entries failed or were dead-lettered`);
  return { messages: handled, elapsedMs };
}

import { Redis } from 'ioredis';
import type { RawXaddJob, ScenarioOutcome } from '../child-protocol.js';
import { benchMessages } from '../messages.js';
import type { ScenarioContext } from './context.js';

/**
 * The producer ceiling: `JSON.stringify` + `XADD` of every message, `batchSize` per pipeline, one pipeline in
 * flight at a time (the same unit `publishMany` sends). One round trip per batch.
 */
export async function runRawXadd(job: RawXaddJob, ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const redis = new Redis(job.url, { lazyConnect: true });
  await redis.connect();
  const messages = benchMessages(job.n);
  await ctx.measuring();
  const started = performance.now();
  for (let from = 0; from < job.n; from += job.batchSize) {
    const to = Math.min(job.n, from + job.batchSize);
    const pipeline = redis.pipeline();
    for (let i = from; i < to; i++) pipeline.xadd(job.stream, '*', 'data', JSON.stringify(messages[i]));
    for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
    ctx.progress(to);
  }
  const elapsedMs = performance.now() - started;
  await ctx.measured();
  await redis.quit();
  return { messages: job.n, elapsedMs };
}

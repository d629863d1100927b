import { createPublisher } from '@chat/completion-publisher';
import type { PublisherJob, ScenarioOutcome } from '../child-protocol.js';
import { benchMessages } from '../messages.js';
import type { ScenarioContext } from './context.js';

/**
 * `publishMany` in the raw producer's batches. With `defaults: false` idempotency and MAXLEN are off, so the
 * difference to raw `XADD` is validation + encoding + `published_at` only; with `defaults: true` it is what a
 * producer gets out of the box (a Lua script per message, `MAXLEN ~ 1000000`).
 */
export async function runPublisher(job: PublisherJob, ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const publisher = createPublisher(
    job.defaults
      ? { url: job.url, stream: job.stream }
      : { url: job.url, stream: job.stream, idempotency: false, maxLen: { strategy: 'off' } },
  );
  // Connects and loads the script before timing, as a long-lived producer would have.
  await publisher.publishMany([benchMessages(1)[0]!].map((m) => ({ ...m, operation_id: 'warm-up' })));
  const messages = benchMessages(job.n);
  await ctx.measuring();
  const started = performance.now();
  for (let from = 0; from < job.n; from += job.batchSize) {
    const to = Math.min(job.n, from + job.batchSize);
    await publisher.publishMany(messages.slice(from, to));
    ctx.progress(to);
  }
  const elapsedMs = performance.now() - started;
  await ctx.measured();
  await publisher.close();
  return { messages: job.n, elapsedMs };
}

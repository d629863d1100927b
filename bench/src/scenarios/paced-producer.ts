import { createPublisher } from '@chat/completion-publisher';
import type { PacedProducerJob, ScenarioOutcome } from '../child-protocol.js';
import { type ChildReport, runChild } from '../child-runner.js';
import { benchMessage } from '../messages.js';
import type { ScenarioContext } from './context.js';

/** Microseconds on CLOCK_MONOTONIC, which every process on the machine shares (unlike `performance.now()`). */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Runs {@link runPacedProducer} in its own process, so the RSS and CPU of the process that spawns it stay its own. */
export function spawnPacedProducer(
  job: Pick<PacedProducerJob, 'url' | 'stream' | 'group' | 'rate' | 'seconds' | 'firstIndex' | 'startAtUs'>,
): Promise<ChildReport> {
  const { url, stream, group, rate, seconds, firstIndex, startAtUs } = job;
  const schedule = {
    ...(firstIndex === undefined ? {} : { firstIndex }),
    ...(startAtUs === undefined ? {} : { startAtUs }),
  };
  return runChild(
    { kind: 'paced-producer', url, stream, group, rate, seconds, ...schedule },
    () => {},
    (seconds + 120) * 1000,
  );
}

/**
 * Publishes `rate` messages per second for `seconds`, open-loop: it never waits for the consumer, so a slow
 * consumer cannot lower the offered rate and hide its latency. Every ~1 ms tick sends, in one `publishMany`,
 * what fell due since the last tick; each message carries the send moment as `result.sent_us`.
 * No producer-side MAXLEN (it could delete a backlog's unprocessed entries; the consumer side trims safely) and
 * no per-message idempotency script: what a latency-sensitive producer would run.
 */
export async function runPacedProducer(
  job: PacedProducerJob,
  ctx: ScenarioContext,
): Promise<ScenarioOutcome> {
  const publisher = createPublisher({
    url: job.url,
    stream: job.stream,
    idempotency: false,
    maxLen: { strategy: 'off' },
  });
  const total = Math.round(job.rate * job.seconds);
  const interval = 1000 / job.rate;
  const inFlight = new Set<Promise<unknown>>();
  const first = job.firstIndex ?? 0;
  // A shared schedule: message `first` is due at startAtUs on the clock the other processes read too.
  if (job.startAtUs !== undefined) {
    const waitMs = (job.startAtUs - monotonicMicros()) / 1000;
    if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
  }
  await ctx.measuring();
  const started =
    performance.now() - (job.startAtUs === undefined ? 0 : (monotonicMicros() - job.startAtUs) / 1000);
  let sent = 0;
  let failed = 0;
  let firstError: string | undefined;
  while (sent < total) {
    const due = Math.min(total, Math.floor((performance.now() - started) / interval) + 1);
    if (due > sent) {
      const batch = [];
      const now = monotonicMicros();
      for (let i = sent; i < due; i++) batch.push(benchMessage(first + i, { sent_us: now }));
      // An overloaded server times a publish out: counted and reported, the run goes on (open loop).
      const p = publisher.publishMany(batch).catch((error: unknown) => {
        failed += batch.length;
        firstError ??= error instanceof Error ? error.message : String(error);
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      sent = due;
      ctx.progress(sent);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inFlight);
  const elapsedMs = performance.now() - started;
  await ctx.measured();
  await publisher.close();
  return {
    messages: total,
    elapsedMs,
    ...(failed ? { note: `${failed} of ${total} publishes failed (first: ${firstError})` } : {}),
  };
}

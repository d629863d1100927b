// Sections 8–10: the pipeline as users feel it (end to end, many watchers and their reconnect storm, a backlog).
import { availableParallelism } from 'node:os';
import type { PlanTools } from './plan.js';
import { preloadEntries } from './redis-admin.js';
import type { ScenarioResult } from './results.js';
import { type RunContext, skippedRow } from './run-scenario.js';
import { registerTasks } from './scenarios/full-path-handler.js';

/** How long before its completion is due each end-to-end task's SSE connection opens (a browser waiting). */
const LEAD_MS = 1_000;

/**
 * Section 8: publish → browser. The floor first (raw XADD → XREAD BLOCK on the same server), then four
 * processes (producer, worker, chat API, and the browsers with one SSE connection per task) at 1 000/s and at half
 * the measured maximum ({@link endToEndMaximum}).
 */
export async function endToEndSection(ctx: RunContext, { fresh, run }: PlanTools): Promise<void> {
  const { url, stream, group, options, results } = ctx;
  const base = { url, stream, group };
  const seconds = options.latencySeconds;
  const warmupSeconds = Math.min(options.warmupSeconds, seconds / 4);
  await run({
    id: 'raw-roundtrip',
    section: 8,
    title: 'raw XADD → XREAD BLOCK round trip',
    kind: 'end-to-end',
    offeredRate: 1000,
    prepare: () => fresh(),
    job: { ...base, kind: 'raw-roundtrip', rate: 1000, seconds, warmupSeconds },
    timeoutMs: (seconds + 120) * 1000,
  });
  const endToEnd = (id: string, title: string, rate: number, readerConnections?: number) =>
    run({
      id,
      section: 8,
      title,
      kind: 'end-to-end',
      offeredRate: rate,
      prepare: async () => {
        await fresh();
        await registerTasks(url, Math.round(rate * seconds));
      },
      job: {
        ...base,
        kind: 'end-to-end',
        rate,
        seconds,
        warmupSeconds,
        leadMs: LEAD_MS,
        concurrency: options.pathConcurrency,
        ...(readerConnections ? { readerConnections } : {}),
      },
      timeoutMs: (seconds + 300) * 1000,
    });
  await endToEnd('end-to-end-1000', 'publish → browser at 1 000/s', 1000);
  await endToEnd('end-to-end-1000-r8', 'publish → browser at 1 000/s, registry readerConnections 8', 1000, 8);
  const full = results.find((r) => r.id === 'full-path' && r.status === 'ok');
  const title = 'publish → browser at 50 % of the measured maximum';
  if (full) {
    const maximum = endToEndMaximum(
      full,
      results.find((r) => r.id === 'end-to-end-1000' && r.status === 'ok'),
    );
    await endToEnd('end-to-end-half', title, Math.max(100, Math.round(maximum / 2)));
  } else if (options.only.length === 0 || options.only.some((p) => 'end-to-end-half'.startsWith(p)))
    results.push(
      skippedRow(
        { id: 'end-to-end-half', section: 8, kind: 'end-to-end', title },
        'needs the full-path row (section 4) to know the maximum',
      ),
    );
}

/** Section 9: many SSE watchers in one chat-API process, then all of them reconnecting at once. */
export async function watchersSection(ctx: RunContext, { fresh, run }: PlanTools): Promise<void> {
  const { url, stream, group, options } = ctx;
  await run({
    id: 'watchers',
    section: 9,
    title: `${options.watchers.toLocaleString('en-US')} SSE watchers over ${options.watcherTasks.toLocaleString('en-US')} tasks, then a reconnect storm`,
    kind: 'watchers',
    prepare: () => fresh(),
    job: {
      url,
      stream,
      group,
      kind: 'watchers',
      subscribers: options.watchers,
      tasks: options.watcherTasks,
      chunks: 10,
      stormChunks: 5,
      timeline: true,
    },
    timeoutMs: 900_000,
  });
}

/**
 * The most completions a second the whole path can carry here, from what it cost at 1 000/s: the slowest of the
 * worker alone (`full-path`'s rate), the chat API (one process, so one core, ÷ its CPU per completion) and the
 * machine (its cores ÷ the CPU per completion of every process and Redis together).
 */
export function endToEndMaximum(full: ScenarioResult, at1000: ScenarioResult | undefined): number {
  const f = at1000?.figures ?? {};
  const parts = [
    f.chatApiCpuUs,
    f.workerCpuUs,
    f.producerCpuUs,
    f.browsersCpuUs,
    at1000?.redisCpuUsPerMessage,
  ];
  if (parts.some((part) => part === undefined || part <= 0)) return full.msgsPerSec;
  const total = parts.reduce((sum: number, part) => sum + (part as number), 0);
  return Math.min(full.msgsPerSec, 1e6 / (f.chatApiCpuUs as number), (availableParallelism() * 1e6) / total);
}

/** Fresh completions per second published while the backlog drains, and for how long. */
const FRESH_RATE = 100;
const FRESH_SECONDS = 5;

/** Section 10: a backlog queued while no worker ran; the worker's drain and fresh completions meanwhile. */
export async function backlogDrainSection(ctx: RunContext, { fresh, run }: PlanTools): Promise<void> {
  const { redis, url, stream, group, options } = ctx;
  const backlog = options.backlog;
  const seconds = options.quick ? 1 : FRESH_SECONDS;
  await run({
    id: 'backlog-drain',
    section: 10,
    title: `drain of ${backlog.toLocaleString('en-US')} queued, ${FRESH_RATE}/s fresh meanwhile`,
    kind: 'drain',
    offeredRate: FRESH_RATE,
    prepare: async () => {
      await fresh();
      await registerTasks(url, backlog + FRESH_RATE * seconds);
      await preloadEntries(redis, stream, backlog);
    },
    job: {
      url,
      stream,
      group,
      kind: 'end-to-end',
      rate: FRESH_RATE,
      seconds,
      warmupSeconds: 0,
      leadMs: LEAD_MS,
      concurrency: options.pathConcurrency,
      backlog,
    },
    timeoutMs: 900_000 + backlog * 5,
  });
}

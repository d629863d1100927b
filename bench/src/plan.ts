import { backlogDrainSection, endToEndSection, watchersSection } from './plan-pipeline.js';
import { createGroup, preloadEntries, resetServer } from './redis-admin.js';
import type { ScenarioResult } from './results.js';
import { type RunContext, runScenario, type ScenarioSpec, selected, skippedRow } from './run-scenario.js';
import { registerTasks } from './scenarios/full-path-handler.js';

/** Generous per-child limit: start-up plus 5 ms per message (a slow concurrency-1 consumer on a busy box). */
export const throughputTimeout = (n: number) => 120_000 + n * 5;

/** What a section of the plan works with besides the run's context. */
export interface PlanTools {
  /** Empties the server, recreates the group, and preloads `withEntries` bench entries. */
  fresh(withEntries?: number): Promise<void>;
  /** Runs `spec` when `--only` selects it; its row, or undefined when not selected. */
  run(spec: ScenarioSpec): Promise<ScenarioResult | undefined>;
}

/** One section of the report: runs its scenarios in order, each against a freshly emptied server. */
export type PlanSection = (ctx: RunContext, tools: PlanTools) => Promise<void>;

/** Every section in the report's order. A new scenario family adds its section here (and its job kind). */
export const PLAN: readonly PlanSection[] = [
  ceilingsAndPublisher,
  consumerScenarios,
  tracingSection,
  endToEndSection,
  watchersSection,
  backlogDrainSection,
];

/** Runs every selected scenario of every section of {@link PLAN}. */
export async function runPlan(ctx: RunContext): Promise<void> {
  const { redis, stream, group, options } = ctx;
  const tools: PlanTools = {
    fresh: async (withEntries = 0) => {
      await resetServer(redis);
      await createGroup(redis, stream, group);
      if (withEntries > 0) await preloadEntries(redis, stream, withEntries);
    },
    run: async (spec) => (selected(options, spec.id) ? runScenario(ctx, spec) : undefined),
  };
  for (const section of PLAN) await section(ctx, tools);
}

/** Sections 1–2: the raw ceilings, then the publisher against raw XADD. */
async function ceilingsAndPublisher(ctx: RunContext, { fresh, run }: PlanTools): Promise<void> {
  const { redis, url, stream, group, options } = ctx;
  const { n, batchSize } = options;
  const base = { url, stream, group };

  // 1. The raw ceiling: the producer's, then the consumer's over the entries the producer just wrote.
  await run({
    id: 'raw-xadd',
    section: 1,
    title: 'raw XADD, pipelined',
    kind: 'produce',
    prepare: () => fresh(),
    job: { ...base, kind: 'raw-xadd', n, batchSize },
    timeoutMs: throughputTimeout(n),
  });
  await run({
    id: 'raw-consume',
    section: 1,
    title: 'raw XREADGROUP + XACK + JSON.parse',
    kind: 'consume',
    prepare: async () => {
      if ((await redis.xlen(stream)) !== n) await fresh(n);
    },
    job: { ...base, kind: 'raw-consume', n, readCount: options.readCount },
    timeoutMs: throughputTimeout(n),
  });

  // 2. The publisher against raw XADD, same batches.
  await run({
    id: 'publisher',
    section: 2,
    title: 'publishMany, validation (idempotency, MAXLEN off)',
    kind: 'produce',
    baseline: 'raw-xadd',
    prepare: () => fresh(),
    job: { ...base, kind: 'publisher', n, batchSize, defaults: false },
    timeoutMs: throughputTimeout(n),
  });
  await run({
    id: 'publisher-defaults',
    section: 2,
    title: 'publishMany, defaults (Lua idempotency, MAXLEN ~)',
    kind: 'produce',
    baseline: 'raw-xadd',
    prepare: () => fresh(),
    job: { ...base, kind: 'publisher', n, batchSize, defaults: true },
    timeoutMs: throughputTimeout(n),
  });
}

/** Section 7: tracing overhead, the same no-op consumer without and with an OpenTelemetry SDK, in the same run. */
async function tracingSection(ctx: RunContext, { fresh, run }: PlanTools): Promise<void> {
  const { options, url, stream, group } = ctx;
  const { n } = options;
  const base = { url, stream, group };
  for (const tracing of [false, true])
    await run({
      id: tracing ? 'tracing-on' : 'tracing-off',
      section: 7,
      title: `consumer, no-op handler, concurrency ${options.pathConcurrency}, ${tracing ? 'a process span per message (SDK registered)' : 'tracing off (API installed, no SDK)'}`,
      kind: 'consume',
      baseline: tracing ? 'tracing-off' : `consumer-noop-c${options.pathConcurrency}`,
      prepare: () => fresh(n),
      job: { ...base, kind: 'tracing', n, concurrency: options.pathConcurrency, tracing },
      timeoutMs: throughputTimeout(n),
    });
}

/**
 * The most a paced producer and a consumer can move together on this machine: each was measured alone (with
 * the machine to itself), and running side by side they share the CPU, so a message costs both their times:
 * 1 / (1 / consumer + 1 / producer). Without a producer row, the consumer's rate alone (an upper bound).
 * "50 % of max" is half of this: half of the consumer's solo rate with a producer alongside is not half load.
 */
export function pairedMaxRate(consumerMsgsPerSec: number, producerMsgsPerSec?: number): number {
  if (!producerMsgsPerSec) return consumerMsgsPerSec;
  return 1 / (1 / consumerMsgsPerSec + 1 / producerMsgsPerSec);
}

/** Sections 3–6: the consumer engine, no-op and full path, then fixed-rate latency and the soak. */
async function consumerScenarios(ctx: RunContext, { fresh, run }: PlanTools): Promise<void> {
  const { options, url, stream, group, results } = ctx;
  const { n } = options;
  const base = { url, stream, group };

  // 3. No-op handler: the engine's own cost per message.
  for (const concurrency of options.concurrencies)
    await run({
      id: `consumer-noop-c${concurrency}`,
      section: 3,
      title: `consumer, no-op handler, concurrency ${concurrency}`,
      kind: 'consume',
      baseline: 'raw-consume',
      prepare: () => fresh(n),
      job: { ...base, kind: 'consumer', n, concurrency, handler: 'noop' },
      timeoutMs: throughputTimeout(n),
    });

  // The engine before read-ahead, in the same run: what `prefetch` buys at concurrency 1.
  await run({
    id: 'consumer-noop-c1-prefetch0',
    section: 3,
    title: 'consumer, no-op handler, concurrency 1, prefetch 0 (no read-ahead)',
    kind: 'consume',
    baseline: 'raw-consume',
    prepare: () => fresh(n),
    job: { ...base, kind: 'consumer', n, concurrency: 1, handler: 'noop', prefetch: 0 },
    timeoutMs: throughputTimeout(n),
  });

  // 4. The full path: N registered tasks completed through the worker's handling.
  await run({
    id: 'full-path',
    section: 4,
    title: `full path, the worker's createCompletionHandler, concurrency ${options.pathConcurrency}`,
    kind: 'consume',
    baseline: 'raw-consume',
    prepare: async () => {
      await fresh(n);
      await registerTasks(url, n);
    },
    job: { ...base, kind: 'consumer', n, concurrency: options.pathConcurrency, handler: 'full-path' },
    timeoutMs: throughputTimeout(n),
  });

  // 5 and 6. Fixed offered rates while consuming. "Max" is what the paced pair can do together: the producer
  // (`publisher`, the same publishMany) and the no-op consumer at the latency runs' concurrency, each measured
  // alone with the machine to itself, then sharing it (see pairedMaxRate).
  const ok = (id: string) => results.find((r) => r.id === id && r.status === 'ok');
  const consumerRow =
    ok(`consumer-noop-c${options.pathConcurrency}`) ??
    results
      .filter((r) => r.id.startsWith('consumer-noop-') && r.status === 'ok')
      .sort((a, b) => b.msgsPerSec - a.msgsPerSec)[0];
  const half = consumerRow
    ? Math.max(100, Math.round(pairedMaxRate(consumerRow.msgsPerSec, ok('publisher')?.msgsPerSec) / 2))
    : undefined;
  const offered = (
    id: string,
    section: number,
    title: string,
    kind: 'latency' | 'soak',
    rate: number,
    seconds: number,
  ) =>
    run({
      id,
      section,
      title,
      kind,
      offeredRate: rate,
      prepare: () => fresh(),
      job: {
        ...base,
        kind: 'offered-load',
        rate,
        seconds,
        warmupSeconds: Math.min(options.warmupSeconds, seconds / 4),
        concurrency: options.pathConcurrency,
        timeline: kind === 'soak',
      },
      timeoutMs: (seconds + 180) * 1000,
    });
  await offered('latency-1000', 5, 'latency at 1 000/s', 'latency', 1000, options.latencySeconds);
  const needsMax = { section: 5, kind: 'latency' as const };
  const noMax =
    'needs a no-op consumer row (section 3, and `publisher` for the producer) to know the maximum';
  if (half)
    await offered('latency-half', 5, 'latency at 50 % of max', 'latency', half, options.latencySeconds);
  else if (selected(options, 'latency-half'))
    results.push(skippedRow({ ...needsMax, id: 'latency-half', title: 'latency at 50 % of max' }, noMax));
  if (half) await offered('soak', 6, 'soak at 50 % of max', 'soak', half, options.soakSeconds);
  else if (selected(options, 'soak'))
    results.push(skippedRow({ id: 'soak', section: 6, kind: 'soak', title: 'soak at 50 % of max' }, noMax));
}

import { createGroup, preloadEntries, resetServer } from './redis-admin.js';
import type { ScenarioResult } from './results.js';
import { type RunContext, runScenario, type ScenarioSpec, selected, skippedRow } from './run-scenario.js';

/** Generous per-child limit: start-up plus 5 ms per message (a slow concurrency-1 consumer on a busy box). */
const throughputTimeout = (n: number) => 120_000 + n * 5;

/** Runs every selected scenario in the order, each against a freshly emptied server. */
export async function runPlan(ctx: RunContext): Promise<void> {
  const { redis, url, stream, group, options } = ctx;
  const { n, batchSize } = options;
  const base = { url, stream, group };
  const fresh = async (withEntries = 0) => {
    await resetServer(redis);
    await createGroup(redis, stream, group);
    if (withEntries > 0) await preloadEntries(redis, stream, withEntries);
  };
  const run = async (spec: ScenarioSpec) => (selected(options, spec.id) ? runScenario(ctx, spec) : undefined);

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

  await runConsumerScenarios(ctx, fresh);
}

/** Sections 3–6 need the consumer engine (and 4 the registry); without them their rows say why. */
async function runConsumerScenarios(ctx: RunContext, _fresh: (withEntries?: number) => Promise<void>) {
  const note = 'needs @chat/completion-consumer, not on this branch yet';
  const rows: Pick<ScenarioResult, 'id' | 'section' | 'title' | 'kind'>[] = [
    ...ctx.options.concurrencies.map((c) => ({
      id: `consumer-noop-c${c}`,
      section: 3,
      title: `consumer, no-op handler, concurrency ${c}`,
      kind: 'consume' as const,
    })),
    { id: 'full-path', section: 4, title: 'full path (task lookup, chunk, completion)', kind: 'consume' },
    { id: 'latency-1000', section: 5, title: 'latency at 1 000/s', kind: 'latency' },
    { id: 'latency-half', section: 5, title: 'latency at 50 % of max', kind: 'latency' },
    { id: 'soak', section: 6, title: 'soak at 50 % of max', kind: 'soak' },
  ];
  for (const row of rows) if (selected(ctx.options, row.id)) ctx.results.push(skippedRow(row, note));
}

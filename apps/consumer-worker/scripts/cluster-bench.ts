// Throughput of the worker's full path (publish → consume → complete the task) on a real 3-master Redis Cluster,
// with the completion stream as one stream (P = 1) and as three partitions (P = 3), for the same N.
//
//   pnpm --filter @chat/consumer-worker run bench:cluster            # N = 5000, 3 rounds per scenario
//   BENCH_N=20000 BENCH_ROUNDS=3 pnpm --filter @chat/consumer-worker run bench:cluster
import { createPublisher } from '@chat/completion-publisher';
import { silentLogger } from '@chat/completion-schema/internal';
import { createStreamRegistry } from '@chat/stream-registry';
import { startCluster, uniquePrefix, waitFor } from '@chat/testing';
import { Cluster } from 'ioredis';
import { loadConfig } from '../src/config.js';
import { createWorker } from '../src/worker.js';

const N = Number(process.env.BENCH_N ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BATCH = 500;

interface Scenario {
  name: string;
  partitions: number;
  /** Handlers in flight per consumer (one consumer per partition). */
  concurrency: number;
}

const scenarios: Scenario[] = [
  { name: 'P=1, concurrency 16', partitions: 1, concurrency: 16 },
  { name: 'P=3, concurrency 16 per partition', partitions: 3, concurrency: 16 },
  { name: 'P=1, concurrency 48 (same total as P=3)', partitions: 1, concurrency: 48 },
];

const cluster = await startCluster({ replicasPerMaster: 0 });
const seeds = cluster.startupNodes.map(({ host, port }) => `${host}:${port}`).join(',');
const client = new Cluster(cluster.startupNodes);

async function round(scenario: Scenario): Promise<number> {
  const prefix = uniquePrefix('bench');
  const base = `${prefix}completions`;
  const registry = createStreamRegistry({ redis: client, keyLayout: 'cluster', keyPrefix: prefix });
  const ids = Array.from({ length: N }, (_, i) => `t${i}`);
  for (let i = 0; i < N; i += BATCH) {
    await Promise.all(
      ids.slice(i, i + BATCH).map((id) =>
        registry.createTask({
          taskId: id,
          sessionId: `s${id}`,
          userId: 'u',
          toolCallId: `c${id}`,
          toolName: 'create_agent',
          operationId: `op-${id}`,
        }),
      ),
    );
  }
  const config = loadConfig({
    REDIS_CLUSTER_NODES: seeds,
    KEY_LAYOUT: 'cluster',
    KEY_PREFIX: prefix,
    COMPLETION_STREAM: base,
    PARTITIONS: String(scenario.partitions),
    CONCURRENCY: String(scenario.concurrency),
    LOG_LEVEL: 'silent',
  });
  const worker = createWorker({ config, logger: silentLogger, http: false });
  await worker.start();
  // No MAXLEN: a burst of N > 10 000 would let the publisher's safety-net cap trim entries nobody read yet.
  const publisher = createPublisher({
    redis: client,
    stream: base,
    partitions: scenario.partitions,
    maxLen: { strategy: 'off' },
  });
  const started = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    await publisher.publishMany(
      ids
        .slice(i, i + BATCH)
        .map((id) => ({ operation_id: `op-${id}`, task_id: id, success: true, result: { id } })),
    );
  }
  await waitFor(async () => (await worker.metrics.outcomeCount('completed')) >= N, 300_000, 'completions');
  const seconds = (performance.now() - started) / 1000;
  await Promise.all([worker.close(), publisher.close(), registry.close()]);
  return N / seconds;
}

const results: { name: string; rates: number[] }[] = [];
try {
  for (const scenario of scenarios) {
    const rates: number[] = [];
    for (let r = 0; r < ROUNDS; r += 1) rates.push(await round(scenario));
    results.push({ name: scenario.name, rates });
    process.stdout.write(
      `${scenario.name.padEnd(44)} ${rates.map((x) => `${x.toFixed(0)} msg/s`).join('  ')}\n`,
    );
  }
} finally {
  client.disconnect();
  await cluster.stop();
}
/** Median of a scenario's rounds: one noisy round on a loaded machine moves it less than the best or the mean. */
const median = (name: string) => {
  const rates = [...(results.find((r) => r.name.startsWith(name))?.rates ?? [0])].sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)] ?? 0;
};
process.stdout.write(
  `\nN = ${N} per round, ${ROUNDS} rounds, 3 masters (no replicas), median round each.\n` +
    `P=3 / P=1 (same per-partition concurrency): ${(median('P=3') / median('P=1, concurrency 16')).toFixed(2)}\n` +
    `P=3 / P=1 (same total concurrency):       ${(median('P=3') / median('P=1, concurrency 48')).toFixed(2)}\n`,
);

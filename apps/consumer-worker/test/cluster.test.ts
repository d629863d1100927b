import { createPublisher, publishedMarkerKey } from '@chat/completion-publisher';
import { keySlot } from '@chat/completion-schema';
import { silentLogger } from '@chat/completion-schema/internal';
import { createStreamRegistry, type StreamRegistry, toSSEResponse } from '@chat/stream-registry';
import { type RedisCluster, startCluster, uniquePrefix, waitFor } from '@chat/testing';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createWorker, type Worker } from '../src/worker.js';

/** Every master's pooled connection waits until its writes reached a replica: what a registration needs. */
async function replicate(client: Cluster): Promise<number[]> {
  return Promise.all(client.nodes('master').map((node) => node.wait(1, 5000) as Promise<number>));
}

/** Chunk types of a task's stream. */
async function chunkTypes(client: Cluster, registry: StreamRegistry, taskId: string): Promise<string[]> {
  const entries = (await client.xrange(registry.keys.stream(taskId), '-', '+')) as [string, string[]][];
  return entries.map(([, fields]) => (JSON.parse(fields[1]!) as { type: string }).type);
}

// CLUSTER_TEST_LOG=debug shows the worker's log while debugging a failover.
const testLogger = process.env.CLUSTER_TEST_LOG
  ? createLogger(process.env.CLUSTER_TEST_LOG as 'debug')
  : silentLogger;

const newTask = (registry: StreamRegistry, id: string) =>
  registry.createTask({
    taskId: id,
    sessionId: `s-${id}`,
    userId: 'u',
    toolCallId: `call-${id}`,
    toolName: 'create_agent',
    operationId: `op-${id}`,
  });

// One real cluster (3 masters + 3 replicas, node timeout 2 s) for the worker's end-to-end flow and a failover.
describe('the worker on a real Redis Cluster with 3 partitions', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  let worker: Worker;
  let registry: StreamRegistry;
  let http: string;
  const prefix = uniquePrefix('cluster');
  const base = `${prefix}completions`;
  const workerConfig = (extra: Record<string, string> = {}) =>
    loadConfig({
      REDIS_CLUSTER_NODES: cluster.startupNodes.map(({ host, port }) => `${host}:${port}`).join(','),
      KEY_LAYOUT: 'cluster',
      KEY_PREFIX: prefix,
      COMPLETION_STREAM: base,
      PARTITIONS: '3',
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      CLAIM_INTERVAL_MS: '200',
      CLAIM_IDLE_MS: '5000',
      RETRY_BASE_MS: '100',
      RETRY_MAX_MS: '300',
      MAX_DELIVERIES: '50',
      TRIM_INTERVAL_MS: '500',
      ...extra,
    });

  beforeAll(async () => {
    cluster = await startCluster();
    client = new Cluster(cluster.startupNodes, { slotsRefreshInterval: 1000 });
    worker = createWorker({ config: workerConfig(), logger: silentLogger });
    http = `http://127.0.0.1:${(await worker.start()).httpPort}`;
    registry = createStreamRegistry({ redis: client, keyLayout: 'cluster', keyPrefix: prefix });
  }, 90_000);
  afterAll(async () => {
    // Bounded, so the cluster is always stopped even if a close hangs after a failed test.
    const bounded = (work: Promise<unknown> | undefined) =>
      Promise.race([work, new Promise((resolve) => setTimeout(resolve, 15_000))]).catch(() => {});
    try {
      await bounded(worker?.close());
      await bounded(registry?.close());
      client?.disconnect();
    } finally {
      await cluster?.stop();
    }
  }, 60_000);

  it('completes every task exactly once across 3 partitions on 3 masters; subscribers and SSE see the output', async () => {
    const publisher = createPublisher({ redis: client, stream: base, partitions: 3 });
    // The partitions live on three different masters.
    const owners = publisher.streams.map((stream) => client.slots[keySlot(stream)]?.[0]);
    expect(new Set(owners).size).toBe(3);
    const ids = Array.from({ length: 60 }, (_, i) => `e2e-${i}`);
    await Promise.all(ids.map((id) => newTask(registry, id)));
    const watched = await Promise.all(ids.slice(0, 6).map((id) => registry.subscribe(id, { userId: 'u' })));
    const seen = watched.map(async (subscription) => {
      const types: string[] = [];
      for await (const entry of subscription) types.push(entry.chunk.type);
      return types;
    });
    const sse = await toSSEResponse(registry, ids[6]!, undefined, { userId: 'u' });
    const sseText = sse.text();

    await publisher.publishMany(
      ids.map((id, i) => ({
        operation_id: `op-${id}`,
        task_id: id,
        success: i % 10 !== 0,
        result: { n: i },
        error: i % 10 === 0 ? 'boom' : null,
      })),
    );
    await waitFor(
      async () =>
        (await worker.metrics.outcomeCount('completed')) + (await worker.metrics.outcomeCount('failed')) ===
        60,
      30_000,
      'all 60 completions',
    );
    // A second delivery of every message changes nothing (idempotency off, so the entries really go out twice).
    const again = createPublisher({ redis: client, stream: base, partitions: 3, idempotency: false });
    await again.publishMany(ids.map((id) => ({ operation_id: `op-${id}`, task_id: id, success: true })));
    await waitFor(async () => (await worker.metrics.outcomeCount('duplicate')) === 60, 30_000, 'duplicates');

    expect(await worker.metrics.outcomeCount('completed')).toBe(54);
    expect(await worker.metrics.outcomeCount('failed')).toBe(6);
    for (const [i, id] of ids.entries()) {
      expect((await registry.getTask(id))?.status).toBe(i % 10 === 0 ? 'failed' : 'completed');
      const types = await chunkTypes(client, registry, id);
      expect(types.filter((t) => t === 'finish')).toHaveLength(1);
      expect(types.filter((t) => t.startsWith('tool-output'))).toHaveLength(1);
    }
    for (const types of await Promise.all(seen)) expect(types.at(-1)).toBe('finish');
    const text = await sseText;
    expect(text).toContain('"type":"tool-output-available"');
    expect(text).toContain('data: [DONE]');
    // Every partition got work; metrics carry one stream label per partition; readiness checks every group.
    const lengths = await Promise.all(publisher.streams.map((stream) => client.xlen(stream)));
    expect(lengths.every((n) => n > 0)).toBe(true);
    const metrics = await (await fetch(`${http}/metrics`)).text();
    for (const stream of publisher.streams)
      expect(metrics).toContain(`chat_consumer_processed_total{stream="${stream}"`);
    const ready = await fetch(`${http}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { checks: { name: string; ok: boolean }[] };
    expect(body.checks.filter((c) => c.name === 'group' && c.ok)).toHaveLength(3);
    // Safe trimming per partition removes what the group acknowledged (MINID keeps the last delivered entry).
    await waitFor(
      async () => (await Promise.all(publisher.streams.map((s) => client.xlen(s)))).every((n) => n <= 1),
      20_000,
      'acknowledged entries trimmed',
    );
    await Promise.all([publisher.close(), again.close()]);
  });

  it('keeps going through a master failover without WAIT and reports what was lost', async () => {
    const publisher = createPublisher({ redis: client, stream: base, partitions: 3, timeoutMs: 2000 });
    const report = await failover({ label: 'fo-async', publisher, partition: 1, restartVictim: true });
    console.log(`failover report (asynchronous replication, no WAIT): ${JSON.stringify(report)}`);
    await publisher.close();
  });

  it('loses nothing acknowledged through a failover with WAIT on publish and on completion', async () => {
    // A worker that WAITs for one replica before acking each completion replaces the first one.
    await worker.close();
    worker = createWorker({ config: workerConfig({ REPLICA_ACKS: '1' }), logger: testLogger });
    await worker.start();
    const publisher = createPublisher({
      redis: client,
      stream: base,
      partitions: 3,
      timeoutMs: 3000,
      waitForReplicas: { replicas: 1, timeoutMs: 1000 },
    });
    // The node killed before is back as a replica: every master has one again once it has synced.
    await waitFor(async () => (await replicate(client)).every((n) => n >= 1), 30_000, 'a replica per master');
    const report = await failover({ label: 'fo-wait', publisher, partition: 0, restartVictim: true });
    console.log(`failover report (WAIT 1 replica): ${JSON.stringify(report)}`);
    expect(report.lost).toBe(0);
    await publisher.close();
  });

  /**
   * Registers N tasks (WAITed, so registrations survive), publishes their completions 10 at a time, SIGKILLs the
   * master serving `partition` a third of the way in (the last third waits for a replica's promotion), and counts
   * what completed. A producer retries failed
   * publishes (idempotency makes that safe). With `restartVictim` the killed node comes back as a replica of the
   * promoted one, as a managed service would replace it (WAIT needs a replica).
   */
  async function failover(options: {
    label: string;
    publisher: ReturnType<typeof createPublisher>;
    partition: number;
    restartVictim?: boolean;
  }) {
    const { label, publisher, partition } = options;
    const N = 150;
    const ids = Array.from({ length: N }, (_, i) => `${label}-${i}`);
    await Promise.all(ids.map((id) => newTask(registry, id)));
    await replicate(client);
    const victimKey = client.slots[keySlot(publisher.streams[partition]!)]![0]!;
    const victimPort = Number(victimKey.split(':')[1]);
    // A subscriber tails a task whose chunk stream lives on the victim: its tail must move to the new master.
    const watchedId = ids.find(
      (id, i) => i > N / 2 && client.slots[keySlot(registry.keys.stream(id))]?.[0] === victimKey,
    )!;
    const watched = await registry.subscribe(watchedId, { userId: 'u' });
    const watchedTypes = (async () => {
      const types: string[] = [];
      for await (const entry of watched) types.push(entry.chunk.type);
      return types;
    })();

    let publishRetries = 0;
    let killedAt = 0;
    let promotedAt = 0;
    let promotion: Promise<void> | undefined;
    const startedAt = new Map<string, number>();
    const publishOne = async (id: string) => {
      startedAt.set(id, Date.now());
      for (;;) {
        try {
          await publisher.publish({ operation_id: `op-${id}`, task_id: id, success: true, result: { id } });
          return;
        } catch {
          publishRetries += 1;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next < N) {
          const i = next++;
          if (i === N / 3) {
            killedAt = Date.now();
            promotion = (async () => {
              await cluster.killNode(victimPort);
              await waitFor(
                async () => {
                  const masters = await cluster.masters();
                  return masters.length === 3 && !masters.includes(victimPort);
                },
                30_000,
                'a replica promoted',
              );
              promotedAt = Date.now();
              if (options.restartVictim) await cluster.startNode(victimPort);
            })();
          }
          // The last third waits for the promotion, so some publishes surely start after it.
          if (i >= (2 * N) / 3) await promotion;
          await publishOne(ids[i]!);
        }
      }),
    );
    await promotion;
    // Everything published after the promotion must complete; earlier entries may fall in the replication window.
    const afterPromotion = ids.filter((id) => startedAt.get(id)! > promotedAt);
    await waitFor(
      async () =>
        (await Promise.all(afterPromotion.map((id) => registry.getTask(id)))).every(
          (task) => task?.status === 'completed',
        ),
      40_000,
      'completions published after the promotion',
    );
    await waitFor(
      async () =>
        (await Promise.all(ids.map((id) => registry.getTask(id)))).every((t) => t?.status !== 'running'),
      10_000,
      'every completion',
    ).catch(() => undefined); // what is still running after this is lost; counted below
    const statuses = await Promise.all(ids.map((id) => registry.getTask(id)));
    const lost = ids.filter((_, i) => statuses[i]?.status !== 'completed');
    // A lost publish leaves no idempotency marker (script effects replicate together); a lost completion does.
    const markers = await Promise.all(
      lost.map((id) => client.exists(publishedMarkerKey(publisher.streamFor(id), `op-${id}`))),
    );
    const finishes = await Promise.all(
      ids.map(async (id) => (await chunkTypes(client, registry, id)).filter((t) => t === 'finish').length),
    );
    expect(finishes.every((n) => n <= 1)).toBe(true); // never completed twice
    expect(afterPromotion.length).toBeGreaterThan(0);
    expect(await watchedTypes).toContain('finish');
    return {
      published: N,
      completed: N - lost.length,
      lost: lost.length,
      lostPublishes: markers.filter((n) => n === 0).length,
      lostCompletions: markers.filter((n) => n === 1).length,
      lostTasks: lost,
      publishRetries,
      killToPromotionMs: promotedAt - killedAt,
    };
  }
});

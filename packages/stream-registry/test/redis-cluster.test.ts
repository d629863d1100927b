import { keySlot } from '@chat/completion-schema';
import { type RedisCluster, startCluster } from '@chat/testing';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActiveTask, StreamRegistry } from '../src/index.js';
import { collect, newTask, waitFor } from './helpers.js';

// The shared single server cannot reject cross-slot scripts; a real cluster (3 masters, no replicas) does.
describe('cluster layout on a real Redis Cluster', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  let registry: StreamRegistry;
  beforeAll(async () => {
    cluster = await startCluster({ masters: 3, replicasPerMaster: 0 });
    client = new Cluster(cluster.startupNodes);
    registry = new StreamRegistry({ redis: client, keyLayout: 'cluster' });
  });
  afterAll(async () => {
    await registry?.close();
    await client?.quit();
    await cluster?.stop();
  });

  it('creates, finds, publishes to and completes tasks without CROSSSLOT errors', async () => {
    const tasks = await Promise.all(Array.from({ length: 20 }, () => newTask(registry)));
    for (const task of tasks) {
      expect(await registry.findTaskByOperationId(task.operationId)).toEqual(task);
      expect(await registry.getActiveTaskForSession(task.sessionId, 'user-1')).toEqual(task);
      await registry.publishChunk(task.taskId, { type: 'start' });
      const results = await Promise.all(
        [0, 1, 2].map(() =>
          registry.completeTask(task.taskId, {
            status: 'completed',
            chunks: [{ type: 'tool-output-available', toolCallId: task.toolCallId, output: 1 }],
          }),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await registry.getTaskWithExpiryInfo(task.taskId)).toMatchObject({ state: 'found' });
      expect(await client.xlen(registry.keys.stream(task.taskId))).toBe(3);
    }
  });

  it('refuses the compat layout on a Cluster client, with a typed error', () => {
    expect(() => new StreamRegistry({ redis: client })).toThrow(/keyLayout 'cluster'/);
  });

  it('agrees with CLUSTER KEYSLOT: a task hash and its chunk stream share a slot', async () => {
    const task = await newTask(registry);
    const slot = keySlot(registry.keys.meta(task.taskId));
    expect(keySlot(registry.keys.stream(task.taskId))).toBe(slot);
    expect(await client.cluster('KEYSLOT', registry.keys.meta(task.taskId))).toBe(slot);
  });

  it('tails live streams on every master with one reader connection per node, not per subscriber', async () => {
    // Four tasks on each master (random ids alone leave one master without any about one run in forty).
    const byOwner = new Map<string, ActiveTask[]>();
    for (let made = 0; made < 400 && [...byOwner.values()].filter((t) => t.length >= 4).length < 3; made++) {
      const task = await newTask(registry);
      const owner = String(client.slots[keySlot(registry.keys.stream(task.taskId))]?.[0]);
      const owned = byOwner.get(owner) ?? [];
      byOwner.set(owner, owned);
      if (owned.length < 4) owned.push(task);
    }
    const tasks = [...byOwner.values()].flat();
    expect(byOwner.size).toBe(3);
    expect(tasks).toHaveLength(12);
    const subscriptions = await Promise.all(
      tasks.map((t) => registry.subscribe(t.taskId, { userId: 'user-1' })),
    );
    const received = subscriptions.map((subscription) => collect(subscription));
    await waitFor(() => registry.liveSubscriberCount === tasks.length, 15_000, 'every subscriber live');
    for (const task of tasks) {
      await registry.publishChunk(task.taskId, { type: 'text-delta', id: 't', delta: task.taskId });
    }
    await Promise.all(
      tasks.map((task) =>
        registry.completeTask(task.taskId, {
          status: 'completed',
          chunks: [{ type: 'tool-output-available', toolCallId: task.toolCallId, output: 'done' }],
        }),
      ),
    );
    const results = await Promise.all(received);
    results.forEach((entries, i) => {
      expect(entries.map((e) => e.chunk.type)).toEqual(['text-delta', 'tool-output-available', 'finish']);
      expect(entries[0]?.chunk).toMatchObject({ delta: tasks[i]?.taskId });
    });
    expect(subscriptions.every((s) => s.endReason === 'finish')).toBe(true);
    // Each master (all three had tails) holds exactly one reader connection of this registry.
    for (const port of await cluster.masters()) {
      const node = new Redis(port, '127.0.0.1');
      const list = await node.client('LIST');
      await node.quit();
      const readers = String(list)
        .split('\n')
        .filter((line) => line.includes('name=chat-stream-registry:reader'));
      expect(readers).toHaveLength(1);
    }
  });

  it('a lone live tail on a node blocks (no polling) and sees a chunk promptly', async () => {
    const task = await newTask(registry);
    const subscription = await registry.subscribe(task.taskId, { userId: 'user-1' });
    const received = collect(subscription);
    await waitFor(() => registry.liveSubscriberCount === 1, 15_000, 'live');
    await registry.completeTask(task.taskId, { status: 'failed', chunks: [], error: 'x' });
    expect((await received).map((e) => e.chunk.type)).toEqual(['finish']);
  });
});

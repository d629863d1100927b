import { type RedisCluster, startCluster } from '@chat/testing';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamRegistry } from '../src/index.js';
import { newTask } from './helpers.js';

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

  it('refuses the compat layout and live subscriptions on a Cluster client, with typed errors', async () => {
    expect(() => new StreamRegistry({ redis: client })).toThrow(/keyLayout 'cluster'/);
    const task = await newTask(registry);
    await expect(registry.subscribe(task.taskId, { userId: 'user-1' })).rejects.toMatchObject({
      code: 'unsupported',
    });
  });
});

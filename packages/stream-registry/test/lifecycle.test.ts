import { randomBytes } from 'node:crypto';
import { startRedis } from '@chat/testing';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { type StreamEntry, StreamRegistry } from '../src/index.js';
import { makeRegistry, newTask, waitFor } from './helpers.js';

describe('lifecycle', () => {
  it('close() ends live subscribers, quits the reader, leaves a caller-owned client open, and is idempotent', async () => {
    const name = `reg-close-${randomBytes(4).toString('hex')}`;
    const t = makeRegistry('compat', {}, { connectionName: name });
    const task = await newTask(t.registry);
    const subscription = await t.registry.subscribe(task.taskId, { userId: 'user-1' });
    const run = (async () => {
      for await (const _ of subscription);
    })();
    await waitFor(() => t.registry.liveSubscriberCount === 1, 10_000, 'live subscriber');
    const closing = t.registry.close();
    expect(t.registry.close()).toBe(closing);
    await closing;
    await run;
    expect(subscription.endReason).toBe('closed');
    expect(t.redis.status).toBe('ready');
    const list = (await t.redis.client('LIST')) as string;
    expect(list.split('\n').filter((line) => line.includes(` name=${name}`))).toHaveLength(1);
    await expect(t.registry.getTask(task.taskId)).rejects.toMatchObject({ code: 'closed' });
    await t.redis.quit();
  });

  it('a subscription created before close() but iterated after it ends at once', async () => {
    const t = makeRegistry('compat');
    const task = await newTask(t.registry);
    const subscription = await t.registry.subscribe(task.taskId, { userId: 'user-1' });
    await t.registry.close();
    for await (const _ of subscription);
    expect(subscription.endReason).toBe('closed');
    await t.redis.quit();
  });

  it('close() quits a connection the registry opened from a URL', async () => {
    const registry = new StreamRegistry({ url: inject('redisUrl') });
    expect(await registry.getTask('none')).toBeNull();
    await registry.close();
    const own = (registry as unknown as { redis: Redis }).redis;
    await waitFor(() => own.status === 'end', 5000, 'the owned connection to end');
  });

  it('a live subscriber keeps tailing across a Redis restart', async () => {
    const server = await startRedis({ appendOnly: true, appendFsync: 'always' });
    const redis = new Redis(server.url, { maxRetriesPerRequest: null });
    redis.on('error', () => {}); // refused connections while the server restarts are expected
    const registry = new StreamRegistry({ redis, blockMs: 200 });
    try {
      const task = await newTask(registry);
      const subscription = await registry.subscribe(task.taskId, { userId: 'user-1' });
      const got: StreamEntry[] = [];
      const run = (async () => {
        for await (const entry of subscription) got.push(entry);
      })();
      await registry.publishChunk(task.taskId, { type: 'start' });
      await waitFor(() => got.length === 1, 10_000, 'first chunk');
      await server.restart();
      await waitFor(
        async () => (await registry.getTask(task.taskId).catch(() => null)) !== null,
        20_000,
        'redis',
      );
      await registry.publishChunk(task.taskId, { type: 'data-after-restart', data: 1 });
      await registry.completeTask(task.taskId, { status: 'completed', chunks: [] });
      await run;
      expect(got.map((e) => e.chunk.type)).toEqual(['start', 'data-after-restart', 'finish']);
    } finally {
      await registry.close();
      redis.disconnect();
      await server.stop({ removeData: true });
    }
  });
});

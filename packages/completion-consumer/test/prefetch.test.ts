import { commandCalls, type RedisServer, startRedis } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CompletionConsumer } from '../src/index.js';
import { deferred, names, pendingCount, publish, startConsumer, waitFor } from './helpers.js';

/** `[id, consumer, idleMs, deliveries]` of every pending entry of the group. */
async function pendingEntries(redis: Redis, stream: string, group: string) {
  return (await redis.xpending(stream, group, '-', '+', 1_000)) as [string, string, number, number][];
}

describe('prefetch: entries read ahead of the free slots', () => {
  // An own server so INFO commandstats counts only this test's commands.
  let server: RedisServer;
  let own: Redis;
  const redis = new Redis(inject('redisUrl'));
  const consumers: CompletionConsumer[] = [];
  beforeAll(async () => {
    server = await startRedis();
    own = new Redis(server.url);
  });
  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.close()));
    await Promise.all([own.quit(), redis.quit()]);
    await server.stop({ removeData: true });
  });

  it('concurrency 1 reads ahead: one handler at a time, stream order, each once, a fraction of the reads', async () => {
    const { stream, group } = names('prefetch-c1');
    const handled: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const first = deferred();
    const consumer = await startConsumer(
      {
        redis: own,
        stream,
        group,
        consumer: 'c',
        concurrency: 1,
        prefetch: 16,
        handler: async (_m, ctx) => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          if (handled.length === 0) await first.promise;
          handled.push(ctx.entryId);
          running--;
        },
      },
      consumers,
    );
    await own.config('RESETSTAT');
    const ids = await publish(own, stream, 500);
    // While the first handler is held, the read-ahead is pending under this consumer and waits in its queue.
    await waitFor(async () => (await consumer.metrics()).prefetched === 16, 10_000, '16 read ahead');
    const held = await pendingEntries(own, stream, group);
    expect(held.map((p) => p[0])).toEqual(ids.slice(0, 17));
    expect(new Set(held.map((p) => p[1]))).toEqual(new Set(['c']));
    expect((await consumer.metrics()).inFlight).toBe(1);
    first.resolve();

    await waitFor(() => handled.length === 500, 30_000, '500 handled');
    await waitFor(async () => (await pendingCount(own, stream, group)) === 0, 10_000, 'all acked');
    expect(handled).toEqual(ids);
    expect(maxRunning).toBe(1);
    // Without read-ahead every message costs its own XREADGROUP (500); refilled at half of 16, about one per 8.
    const reads = (await commandCalls(own)).xreadgroup ?? 0;
    expect(reads).toBeGreaterThan(0);
    expect(reads).toBeLessThan(100);
  });

  it('entries waiting in the queue keep their leases: another consumer claims none of them', async () => {
    const { stream, group } = names('prefetch-lease');
    const runs: string[] = [];
    const release = deferred();
    const holder = await startConsumer(
      {
        redis,
        stream,
        group,
        consumer: 'holder',
        concurrency: 1,
        prefetch: 4,
        claimIdleMs: 400,
        handler: async (m) => {
          runs.push(`holder:${m.operation_id}`);
          await release.promise;
        },
      },
      consumers,
    );
    await publish(redis, stream, 5);
    await waitFor(async () => (await holder.metrics()).prefetched === 4, 10_000, 'four queued');
    const thief = await startConsumer(
      {
        redis,
        stream,
        group,
        consumer: 'thief',
        claimIdleMs: 400,
        claimIntervalMs: 30,
        handler: async (m) => void runs.push(`thief:${m.operation_id}`),
      },
      consumers,
    );
    const claimed: string[] = [];
    thief.on('claimed', (info) => claimed.push(...info.entryIds));
    // Three claim windows: without renewal of the queued entries the thief would take them after the first.
    await new Promise((r) => setTimeout(r, 1_200));
    expect(claimed).toEqual([]);
    release.resolve();
    await waitFor(async () => (await pendingCount(redis, stream, group)) === 0, 10_000, 'acked');
    expect(runs).toEqual(['op-0', 'op-1', 'op-2', 'op-3', 'op-4'].map((op) => `holder:${op}`));
    expect((await holder.metrics()).counters).toMatchObject({ processed: 5, leaseLost: 0 });
  });

  it('close() hands the entries it read ahead back to the group at once; the aborted one stays pending', async () => {
    const { stream, group } = names('prefetch-close');
    const holder = await startConsumer(
      {
        redis,
        stream,
        group,
        consumer: 'holder',
        concurrency: 1,
        prefetch: 4,
        claimIdleMs: 60_000,
        shutdownTimeoutMs: 100,
        handler: async (_m, ctx) => {
          await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
          throw new Error('aborted');
        },
      },
      consumers,
    );
    const ids = await publish(redis, stream, 5);
    await waitFor(async () => (await holder.metrics()).prefetched === 4, 10_000, 'four queued');
    await holder.close();
    const handled: string[] = [];
    await startConsumer(
      {
        redis,
        stream,
        group,
        consumer: 'next',
        claimIdleMs: 60_000,
        claimIntervalMs: 50,
        handler: async (_m, ctx) => void handled.push(ctx.entryId),
      },
      consumers,
    );
    // Without the release they would be claimable only after claimIdleMs (a minute).
    await waitFor(() => handled.length === 4, 10_000, 'the released four handled by the next consumer');
    expect(handled.sort()).toEqual(ids.slice(1));
    await waitFor(async () => (await pendingCount(redis, stream, group)) === 1, 10_000, 'acked');
    const left = await pendingEntries(redis, stream, group);
    expect(left.map((p) => [p[0], p[1], p[3]])).toEqual([[ids[0], 'holder', 1]]);
  });
});

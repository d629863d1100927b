import { describe, expect, it } from 'vitest';
import { names, pendingCount, publish, sharedRedisSuite, startConsumer, waitFor } from './helpers.js';

describe('pending entries trimmed away before processing', () => {
  const { redis, consumers } = sharedRedisSuite();

  it('are counted as lost (claim path) and reported, never handed to the handler', async () => {
    const { stream, group } = names('lost');
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
    const ids = await publish(redis, stream, 3);
    await redis.xreadgroup('GROUP', group, 'dead', 'COUNT', 3, 'STREAMS', stream, '>');
    await redis.xclaim(stream, group, 'dead', 0, ...ids, 'IDLE', 3_600_000, 'JUSTID');
    await redis.xdel(stream, ids[1] as string);
    const handled: string[] = [];
    const lost: string[] = [];
    const consumer = await startConsumer(
      { redis, stream, group, consumer: 'c', handler: async (_m, ctx) => void handled.push(ctx.entryId) },
      consumers,
    );
    consumer.on('lost', (info) => lost.push(...info.entryIds));
    await waitFor(() => handled.length === 2 && lost.length === 1, 10_000, 'claimed and lost');
    expect(lost).toEqual([ids[1]]);
    expect(handled.sort()).toEqual([ids[0], ids[2]].sort());
    expect((await consumer.metrics()).counters.lost).toBe(1);
    await waitFor(async () => (await pendingCount(redis, stream, group)) === 0, 5_000, 'pending empty');
  });

  it('are counted as lost when re-reading own pending entries after a restart', async () => {
    const { stream, group } = names('lost-own');
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
    const ids = await publish(redis, stream, 2);
    await redis.xreadgroup('GROUP', group, 'me', 'COUNT', 2, 'STREAMS', stream, '>');
    await redis.xtrim(stream, 'MINID', ids[1] as string);
    const handled: string[] = [];
    const consumer = await startConsumer(
      {
        redis,
        stream,
        group,
        consumer: 'me',
        claimIdleMs: 600_000,
        handler: async (_m, ctx) => void handled.push(ctx.entryId),
      },
      consumers,
    );
    await waitFor(() => handled.length === 1, 10_000, 'survivor handled');
    expect(handled).toEqual([ids[1]]);
    expect((await consumer.metrics()).counters.lost).toBe(1);
    await waitFor(async () => (await pendingCount(redis, stream, group)) === 0, 5_000, 'pending empty');
  });
});

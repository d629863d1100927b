import { describe, expect, it } from 'vitest';
import { names, pendingCount, publish, sharedRedisSuite, startConsumer, waitFor } from './helpers.js';

describe('claiming with the XAUTOCLAIM cursor', () => {
  const { redis, consumers } = sharedRedisSuite();

  it('reclaims a pending list larger than 10× COUNT completely, past a head of live entries', async () => {
    const { stream, group } = names('walk');
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
    // A live consumer holds the oldest 200 entries (recently delivered, so not claimable)...
    await publish(redis, stream, 200);
    await redis.xreadgroup('GROUP', group, 'live', 'COUNT', 200, 'STREAMS', stream, '>');
    // ...and a dead one holds the next 150, idle for long. With concurrency 2 each XAUTOCLAIM step claims at
    // most 2 and scans at most 20 entries, so restarting at 0-0 every tick would never get past the live head.
    const dead = await publish(redis, stream, 150, 200);
    await redis.xreadgroup('GROUP', group, 'dead', 'COUNT', 150, 'STREAMS', stream, '>');
    await redis.xclaim(stream, group, 'dead', 0, ...dead, 'IDLE', 3_600_000, 'JUSTID');
    expect(await pendingCount(redis, stream, group)).toBe(350);

    const handled = new Set<string>();
    await startConsumer(
      {
        redis,
        stream,
        group,
        consumer: 'claimer',
        concurrency: 2,
        claimIdleMs: 60_000,
        claimIntervalMs: 50,
        handler: async (_m, ctx) => {
          handled.add(ctx.entryId);
        },
      },
      consumers,
    );
    await waitFor(() => handled.size === 150, 25_000, 'all dead entries handled');
    expect([...handled].sort()).toEqual([...dead].sort());
    // The live consumer's entries were never touched.
    await waitFor(
      async () => (await pendingCount(redis, stream, group)) === 200,
      5_000,
      'only live entries left',
    );
    const live = (await redis.xpending(stream, group, '-', '+', 1_000, 'live')) as unknown[];
    expect(live).toHaveLength(200);
  });
});

import { describe, expect, inject, it } from 'vitest';
import {
  names,
  pendingCount,
  publish,
  sharedRedisSuite,
  spawnFixture,
  startConsumer,
  waitFor,
} from './helpers.js';

describe('a consumer SIGKILLed mid-batch', () => {
  const { redis, consumers } = sharedRedisSuite();

  async function killedMidBatch(
    stream: string,
    group: string,
    consumer: string,
    count: number,
    prefetch = 0,
  ) {
    const ids = await publish(redis, stream, count);
    const { child, lines } = spawnFixture('hanging-consumer', {
      REDIS_URL: inject('redisUrl'),
      STREAM: stream,
      GROUP: group,
      CONSUMER: consumer,
      CONCURRENCY: '4',
      PREFETCH: String(prefetch),
    });
    try {
      await waitFor(
        () => lines.filter((l) => l.startsWith('got ')).length === 4,
        30_000,
        'child got its batch',
      );
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`${(error as Error).message}; child said: ${lines.join('\n')}`);
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const held = lines.filter((l) => l.startsWith('got ')).map((l) => l.slice(4));
    return { ids, held };
  }

  /** A consumer that claims after 600 ms idle and records what it handled (with delivery counts) and claimed. */
  async function startSurvivor(stream: string, group: string) {
    const handled = new Map<string, number>();
    const claimed: string[] = [];
    const survivor = await startConsumer(
      {
        redis,
        stream,
        group,
        consumer: 'survivor',
        claimIdleMs: 600,
        handler: async (_m, ctx) => {
          handled.set(ctx.entryId, ctx.deliveryCount);
        },
      },
      consumers,
    );
    survivor.on('claimed', ({ entryIds }) => claimed.push(...entryIds));
    return { handled, claimed };
  }

  it('another consumer processes its entries after claimIdleMs', async () => {
    const { stream, group } = names('sigkill');
    const { ids, held } = await killedMidBatch(stream, group, 'doomed', 10);
    // The dead consumer holds 4 entries; 6 were never delivered.
    expect(await pendingCount(redis, stream, group)).toBe(4);
    const { handled, claimed } = await startSurvivor(stream, group);
    await waitFor(() => handled.size === 10, 20_000, 'all 10 handled');
    expect([...handled.keys()].sort()).toEqual([...ids].sort());
    expect(claimed.sort()).toEqual([...held].sort());
    for (const id of held) expect(handled.get(id)).toBe(2);
    await waitFor(async () => (await pendingCount(redis, stream, group)) === 0, 10_000, 'pending empty');
  });

  it('entries it had read ahead are claimed after claimIdleMs like the running ones', async () => {
    const { stream, group } = names('sigkill-prefetch');
    // Four handlers running and six entries read ahead, all pending under the dead consumer.
    const { ids, held } = await killedMidBatch(stream, group, 'doomed', 10, 6);
    await waitFor(async () => (await pendingCount(redis, stream, group)) === 10, 10_000, 'ten pending');
    expect(held).toHaveLength(4);
    const { handled, claimed } = await startSurvivor(stream, group);
    await waitFor(() => handled.size === 10, 20_000, 'all 10 handled');
    expect(claimed.sort()).toEqual([...ids].sort());
    for (const id of ids) expect(handled.get(id)).toBe(2);
    await waitFor(async () => (await pendingCount(redis, stream, group)) === 0, 10_000, 'pending empty');
  });

  it('a restarted consumer with the same name resumes its own pending entries at once', async () => {
    const { stream, group } = names('resume');
    const { held } = await killedMidBatch(stream, group, 'stable-name', 4);
    const handled: { id: string; deliveryCount: number }[] = [];
    const restarted = await startConsumer(
      {
        redis,
        stream,
        group,
        consumer: 'stable-name',
        // Far beyond the test: only reading its own pending list can explain the entries coming back.
        claimIdleMs: 600_000,
        handler: async (_m, ctx) => {
          handled.push({ id: ctx.entryId, deliveryCount: ctx.deliveryCount });
        },
      },
      consumers,
    );
    await waitFor(() => handled.length === 4, 10_000, 'own pending resumed');
    expect(handled.map((h) => h.id).sort()).toEqual([...held].sort());
    expect(handled.every((h) => h.deliveryCount === 2)).toBe(true);
    expect((await restarted.metrics()).counters.claimed).toBe(0);
  });
});

import { encode } from '@chat/completion-schema';
import { errorLog } from '@chat/testing';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { trimPosition } from '../src/trimmed-unread.js';
import { names, pendingCount, publish, sharedRedisSuite, startConsumer, waitFor } from './helpers.js';

/** XADDs `n` messages, each with `MAXLEN = cap` (what a producer with a tiny exact cap does). */
async function publishCapped(redis: Redis, stream: string, n: number, cap: number, from = 0) {
  const pipeline = redis.pipeline();
  for (let i = from; i < from + n; i++)
    pipeline.xadd(
      stream,
      'MAXLEN',
      '=',
      cap,
      '*',
      ...encode({ operation_id: `op-${i}`, task_id: `task-${i}`, success: true }),
    );
  await pipeline.exec();
}

describe('entries trimmed before the group read them', () => {
  const { redis, consumers } = sharedRedisSuite();

  it('a tiny exact cap with 1 000 published before the group reads: exactly 900 counted, logged, emitted', async () => {
    const { stream, group } = names('trim-unread-cap');
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
    await publishCapped(redis, stream, 1_000, 100);
    const ids = (await redis.xrange(stream, '-', '+')).map(([id]) => id);
    const handled: string[] = [];
    const { logger, errors } = errorLog();
    const consumer = await startConsumer(
      {
        redis,
        stream,
        group,
        consumer: 'c',
        logger,
        handler: async (_m, ctx) => void handled.push(ctx.entryId),
      },
      consumers,
    );
    // Checked before the first read, so the count is there once start() resolves.
    expect((await consumer.metrics()).counters.trimmedUnread).toBe(900);
    const lost = errors.filter((e) =>
      e.message.includes('trimmed from the stream before the group read them'),
    );
    expect(lost).toHaveLength(1);
    expect(lost[0]?.fields).toMatchObject({ count: 900, afterId: '0-0', beforeId: ids[0] });
    await waitFor(() => handled.length === 100, 15_000, 'the 100 kept entries handled');
    expect(handled.sort()).toEqual([...ids].sort());
    await waitFor(async () => (await pendingCount(redis, stream, group)) === 0, 5_000, 'pending empty');
    // Another instance starting now finds the group caught up: the loss is history, not counted again.
    const second = await startConsumer(
      { redis, stream, group, consumer: 'c2', logger, handler: async () => {} },
      consumers,
    );
    expect((await second.metrics()).counters.trimmedUnread).toBe(0);
    expect(errors.filter((e) => e.message.includes('before the group read them'))).toHaveLength(1);
  });

  it('a partly read group then trimmed: exactly the unread trimmed entries, and a later gap adds only its own', async () => {
    const { stream, group } = names('trim-unread-partly');
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
    const ids = await publish(redis, stream, 1_000);
    // Another instance read and acked 300, then stopped; a producer's cap trimmed the stream to its last 100.
    await redis.xreadgroup('GROUP', group, 'old', 'COUNT', 300, 'STREAMS', stream, '>');
    await redis.xack(stream, group, ...ids.slice(0, 300));
    await redis.xtrim(stream, 'MAXLEN', '=', 100);
    const found: { count: number | null; afterId: string; beforeId: string }[] = [];
    let release: () => void = () => {};
    let hold = false;
    const handled: string[] = [];
    const consumer = await startConsumer(
      {
        redis,
        stream,
        group,
        consumer: 'c',
        concurrency: 1,
        // Nothing read ahead: the exact count below needs the consumer to hold only the entry in its one slot.
        prefetch: 0,
        handler: async (_m, ctx) => {
          handled.push(ctx.entryId);
          if (hold) await new Promise<void>((resolve) => (release = resolve));
        },
      },
      consumers,
    );
    consumer.on('trimmedUnread', (info) => found.push(info));
    expect((await consumer.metrics()).counters.trimmedUnread).toBe(600);
    await waitFor(() => handled.length === 100, 15_000, 'the 100 kept entries handled');
    expect(handled).toEqual(ids.slice(900));

    // The consumer holds one entry (its only slot) while the producer trims 400 more it never read.
    hold = true;
    const [held] = await publish(redis, stream, 1, 1_000);
    await waitFor(() => handled.includes(held as string), 10_000, 'the held entry running');
    await publishCapped(redis, stream, 500, 100, 1_001);
    await waitFor(
      async () => (await consumer.metrics()).counters.trimmedUnread === 1_000,
      10_000,
      'the second gap counted',
    );
    expect(found.map((f) => f.count)).toEqual([400]);
    expect(found[0]?.afterId).toBe(held);
    hold = false;
    release();
    await waitFor(() => handled.length === 201, 15_000, 'the rest handled');
    const counters = (await consumer.metrics()).counters;
    expect(counters.trimmedUnread).toBe(1_000);
    expect(counters.trimmedUnreadUncounted).toBe(0);
  });

  it('a group that read everything before a trim reports nothing', async () => {
    const { stream, group } = names('trim-unread-none');
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
    const ids = await publish(redis, stream, 50);
    await redis.xreadgroup('GROUP', group, 'old', 'COUNT', 50, 'STREAMS', stream, '>');
    await redis.xack(stream, group, ...ids);
    await redis.xtrim(stream, 'MAXLEN', '=', 0);
    await publish(redis, stream, 5, 50);
    const handled: string[] = [];
    const consumer = await startConsumer(
      { redis, stream, group, consumer: 'c', handler: async (_m, ctx) => void handled.push(ctx.entryId) },
      consumers,
    );
    await waitFor(() => handled.length === 5, 10_000, 'new entries handled');
    const counters = (await consumer.metrics()).counters;
    expect(counters.trimmedUnread).toBe(0);
    expect(counters.trimmedUnreadUncounted).toBe(0);
  });
});

describe('trimPosition', () => {
  const base = {
    length: 100,
    firstId: '10-0',
    lastGeneratedId: '20-0',
    entriesAdded: 1_000,
    lastDeliveredId: '5-0',
    entriesRead: 300,
  };

  it('counts a gap from the counters, and reports an uncountable one without assuming', () => {
    expect(trimPosition(base)).toEqual({ gap: true, deficit: 600 });
    expect(trimPosition({ ...base, entriesAdded: null })).toEqual({ gap: true, deficit: null });
    expect(trimPosition({ ...base, entriesRead: null })).toEqual({ gap: true, deficit: null });
    // Never delivered anything: nothing read, whatever entries-read says.
    expect(trimPosition({ ...base, lastDeliveredId: '0-0', entriesRead: null })).toEqual({
      gap: true,
      deficit: 900,
    });
    // An emptied stream: everything after the group's position is gone.
    expect(trimPosition({ ...base, length: 0, firstId: null })).toEqual({ gap: true, deficit: 700 });
  });

  it('knows the deficit when caught up, not in between, and compares ids numerically', () => {
    expect(trimPosition({ ...base, lastDeliveredId: '20-0', entriesRead: 1_000 })).toEqual({
      gap: false,
      deficit: 0,
    });
    expect(trimPosition({ ...base, lastDeliveredId: '15-0' })).toEqual({ gap: false, deficit: null });
    expect(trimPosition({ ...base, firstId: '10-0', lastDeliveredId: '9-5' }).gap).toBe(true);
    expect(trimPosition({ ...base, firstId: '100-0', lastDeliveredId: '99-0' }).gap).toBe(true);
    expect(trimPosition({ ...base, firstId: '100-0', lastDeliveredId: '100-0' }).gap).toBe(false);
  });
});

import { deadLetterStreamFor } from '@chat/completion-schema';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  ConsumerOptionsError,
  DEFAULT_DEAD_LETTER_ADMIN_OPTIONS,
  deleteIdleConsumers,
  listDeadLetters,
  purgeDeadLetters,
  replayAllDeadLetters,
  replayDeadLetter,
  StreamTrimmer,
  trimStreamSafely,
} from '../src/index.js';
import { redisVersion, supportsAckedTrim } from '../src/trimmer.js';
import { names, publish } from './helpers.js';

describe('safe trimming', () => {
  const redis = new Redis(inject('redisUrl'));
  afterAll(() => redis.quit());

  it('never removes a pending or undelivered entry, in any group, and removes what every group acked', async () => {
    const { stream } = names('trim');
    await redis.xgroup('CREATE', stream, 'a', '0', 'MKSTREAM');
    await redis.xgroup('CREATE', stream, 'b', '0');
    const ids = await publish(redis, stream, 10);
    // Group a: read all 10, acked all but #3. Group b: read 6, acked all of them, 4 still undelivered.
    await redis.xreadgroup('GROUP', 'a', 'x', 'COUNT', 10, 'STREAMS', stream, '>');
    await redis.xack(stream, 'a', ...ids.filter((_, i) => i !== 3));
    await redis.xreadgroup('GROUP', 'b', 'y', 'COUNT', 6, 'STREAMS', stream, '>');
    await redis.xack(stream, 'b', ...ids.slice(0, 6));

    const first = await trimStreamSafely(redis, stream);
    expect(first.threshold).toBe(ids[3]);
    expect(first.removed).toBe(3);
    expect((await redis.xrange(stream, '-', '+')).map(([id]) => id)).toEqual(ids.slice(3));

    await redis.xack(stream, 'a', ids[3] as string);
    const second = await trimStreamSafely(redis, stream);
    // Group b's last delivered entry (#5) bounds it now; #6..#9 were never delivered to b.
    expect(second.threshold).toBe(ids[5]);
    expect((await redis.xrange(stream, '-', '+')).map(([id]) => id)).toEqual(ids.slice(5));
    expect(await redis.xlen(stream)).toBe(5);
  });

  it('does nothing without groups, and the StreamTrimmer runs the same trim', async () => {
    const { stream } = names('trim-none');
    await publish(redis, stream, 3);
    expect(await trimStreamSafely(redis, stream)).toMatchObject({ threshold: null, removed: 0 });
    await redis.xgroup('CREATE', stream, 'g', '$');
    const trimmer = new StreamTrimmer({ redis, stream, intervalMs: 60_000 });
    trimmer.start();
    // '$' means everything before was "delivered" and nothing is pending: the floor is the last id, kept.
    expect(await trimmer.trimNow()).toMatchObject({ removed: 2 });
    await trimmer.close();
    await trimmer.close();
  });

  it('uses XTRIM ACKED only on Redis >= 8.2', async () => {
    expect(supportsAckedTrim([7, 0, 15])).toBe(false);
    expect(supportsAckedTrim([8, 0, 0])).toBe(false);
    expect(supportsAckedTrim([8, 2, 0])).toBe(true);
    expect(supportsAckedTrim([9, 0, 0])).toBe(true);
    const version = await redisVersion(redis);
    const { stream } = names('trim-version');
    await redis.xgroup('CREATE', stream, 'g', '0', 'MKSTREAM');
    expect((await trimStreamSafely(redis, stream)).acked).toBe(supportsAckedTrim(version));
  });
});

describe('idle consumers', () => {
  const redis = new Redis(inject('redisUrl'));
  afterAll(() => redis.quit());

  it('deletes idle consumers without pending entries, never one that holds entries or is kept', async () => {
    const { stream, group } = names('idle');
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
    await publish(redis, stream, 1);
    await redis.xreadgroup('GROUP', group, 'holder', 'COUNT', 1, 'STREAMS', stream, '>');
    await redis.xgroup('CREATECONSUMER', stream, group, 'empty');
    await redis.xgroup('CREATECONSUMER', stream, group, 'me');
    await new Promise((r) => setTimeout(r, 120));
    const deleted = await deleteIdleConsumers(redis, { stream, group, idleMs: 100, keep: ['me'] });
    expect(deleted).toEqual(['empty']);
    const left = ((await redis.xinfo('CONSUMERS', stream, group)) as unknown[][]).map((c) => c[1]);
    expect(left.sort()).toEqual(['holder', 'me']);
    expect(await deleteIdleConsumers(redis, { stream, group, idleMs: 60_000 })).toEqual([]);
  });
});

describe('dead-letter admin', () => {
  const redis = new Redis(inject('redisUrl'));
  afterAll(() => redis.quit());

  async function seed(stream: string) {
    const dlq = deadLetterStreamFor(stream);
    const common = [
      'error',
      'e',
      'delivery_count',
      '1',
      'source_stream',
      stream,
      'consumer',
      'c',
      'failed_at',
      'now',
    ];
    const a = await redis.xadd(
      dlq,
      '*',
      'data',
      '{"a":1}',
      'reason',
      'invalid_json',
      'source_id',
      '1-1',
      ...common,
    );
    const fields = JSON.stringify(['payload', 'x', 'n', '2']);
    const b = await redis.xadd(
      dlq,
      '*',
      'fields',
      fields,
      'reason',
      'missing_data_field',
      'source_id',
      '1-2',
      ...common,
    );
    const c = await redis.xadd(
      dlq,
      '*',
      'data',
      '{"c":3}',
      'reason',
      'max_deliveries',
      'source_id',
      '1-3',
      ...common,
    );
    return { dlq, ids: [a, b, c] as string[] };
  }

  it('lists with reasons, replays one and all atomically (data back on the source stream), purges', async () => {
    const { stream } = names('admin');
    const { dlq, ids } = await seed(stream);
    const listed = await listDeadLetters({ redis, stream });
    expect(listed.map((l) => l.reason)).toEqual(['invalid_json', 'missing_data_field', 'max_deliveries']);
    expect(listed[1]?.fields).toEqual(['payload', 'x', 'n', '2']);
    expect(await listDeadLetters({ redis, stream }, { reason: 'max_deliveries' })).toHaveLength(1);

    const newId = await replayDeadLetter({ redis, stream }, ids[0] as string);
    expect(newId).toBeTruthy();
    expect(await redis.xrange(stream, newId as string, newId as string)).toEqual([
      [newId, ['data', '{"a":1}']],
    ]);
    expect(await redis.xlen(dlq)).toBe(2);
    expect(await replayDeadLetter({ redis, stream }, ids[0] as string)).toBeNull();

    expect(await replayAllDeadLetters({ redis, stream }, { reason: 'missing_data_field' })).toBe(1);
    const source = await redis.xrange(stream, '-', '+');
    expect(source[1]?.[1]).toEqual(['payload', 'x', 'n', '2']);
    expect(await replayAllDeadLetters({ redis, stream })).toBe(1);
    expect(await redis.xlen(dlq)).toBe(0);
    expect(await redis.xlen(stream)).toBe(3);

    await seed(stream);
    expect(await purgeDeadLetters({ redis, stream })).toBe(3);
    expect(await redis.exists(dlq)).toBe(0);
  });

  it('pages with the default count and refuses a count or maxLen that cannot work, touching nothing', async () => {
    const { stream } = names('admin-options');
    const dlq = deadLetterStreamFor(stream);
    const pipeline = redis.pipeline();
    for (let i = 0; i < DEFAULT_DEAD_LETTER_ADMIN_OPTIONS.count + 1; i++)
      pipeline.xadd(dlq, '*', 'data', `{"n":${i}}`, 'reason', 'invalid_json');
    await pipeline.exec();
    expect(await listDeadLetters({ redis, stream })).toHaveLength(DEFAULT_DEAD_LETTER_ADMIN_OPTIONS.count);
    for (const [call, option] of [
      [() => listDeadLetters({ redis, stream }, { count: 0 }), 'count'],
      [() => replayAllDeadLetters({ redis, stream }, { maxLen: -1 }), 'maxLen'],
      [() => replayDeadLetter({ redis, stream }, '0-1', { maxLen: 1.5 }), 'maxLen'],
    ] as const) {
      const error = await call().catch((e: unknown) => e);
      expect(ConsumerOptionsError.isInstance(error), `${option} was accepted`).toBe(true);
      expect((error as ConsumerOptionsError).option).toBe(option);
    }
    expect(await redis.xlen(dlq)).toBe(DEFAULT_DEAD_LETTER_ADMIN_OPTIONS.count + 1);
    expect(await redis.exists(stream)).toBe(0);
  });
});

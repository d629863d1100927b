import type { Logger } from '@chat/completion-schema';
import { uniquePrefix } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type ForeignConsumer, ForeignConsumerWatch, findForeignConsumers } from './foreign-consumers.js';

describe('consumers of the Python original in our group', () => {
  const redis = new Redis(inject('redisUrl'));
  afterAll(() => redis.quit());

  /** A stream whose group has: a Python consumer holding 2 entries, one holding none, and one of ours holding 1. */
  async function mixedGroup(): Promise<string> {
    const stream = `${uniquePrefix('foreign')}completions`;
    await redis.xgroup('CREATE', stream, 'chat_consumers', '0', 'MKSTREAM');
    for (let i = 0; i < 3; i += 1) await redis.xadd(stream, '*', 'data', `{"n":${i}}`);
    await redis.xreadgroup(
      'GROUP',
      'chat_consumers',
      'consumer-0a1b2c3d',
      'COUNT',
      2,
      'STREAMS',
      stream,
      '>',
    );
    await redis.xreadgroup('GROUP', 'chat_consumers', 'worker-7f-1234', 'COUNT', 1, 'STREAMS', stream, '>');
    await redis.xgroup('CREATECONSUMER', stream, 'chat_consumers', 'consumer-99999999');
    return stream;
  }

  it("finds the original's consumers that hold entries, by their name's shape", async () => {
    const stream = await mixedGroup();
    const found = await findForeignConsumers(redis, stream, 'chat_consumers');
    expect(found).toEqual([
      {
        stream,
        group: 'chat_consumers',
        consumer: 'consumer-0a1b2c3d',
        pending: 2,
        idleMs: expect.any(Number),
      },
    ]);
    expect(await findForeignConsumers(redis, stream, 'another_group')).toEqual([]);
    expect(await findForeignConsumers(redis, `${stream}:missing`, 'chat_consumers')).toEqual([]);
  });

  it('the watch warns once per consumer and check, and reports every check', async () => {
    const stream = await mixedGroup();
    const warnings: Record<string, unknown>[] = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      error: () => {},
      warn: (fields: unknown) => warnings.push(fields as Record<string, unknown>),
    };
    const checks: ForeignConsumer[][] = [];
    const watch = new ForeignConsumerWatch({
      redis,
      streams: [stream],
      group: 'chat_consumers',
      intervalMs: 0,
      logger,
      onCheck: (found) => checks.push(found),
    });
    await watch.start();
    await watch.close();
    expect(warnings).toEqual([
      expect.objectContaining({ consumer: 'consumer-0a1b2c3d', pending: 2, stream }),
    ]);
    expect(checks).toEqual([[expect.objectContaining({ consumer: 'consumer-0a1b2c3d', pending: 2 })]]);

    // Once its entries are acked (claimed and finished by ours), the next check finds nobody.
    const pending = (await redis.xpending(stream, 'chat_consumers', '-', '+', 10, 'consumer-0a1b2c3d')) as [
      string,
    ][];
    await redis.xack(stream, 'chat_consumers', ...pending.map(([id]) => id));
    await watch.start();
    await watch.close();
    expect(checks.at(-1)).toEqual([]);
    expect(warnings).toHaveLength(1);
  });
});

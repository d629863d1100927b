import { uniquePrefix } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { decode, encode } from '../src/index.js';

describe('through a real Redis stream', () => {
  const redis = new Redis(inject('redisUrl'));
  afterAll(() => redis.quit());

  it('an encoded message comes back from XRANGE and decodes to the same message', async () => {
    const stream = `${uniquePrefix('roundtrip')}completions`;
    const message = {
      operation_id: 'op-1',
      task_id: 't-1',
      success: true,
      result: { agent: { id: 'a' } },
      error: null,
    };
    const id = await redis.xadd(stream, 'MAXLEN', '~', '10000', '*', ...encode(message));
    const [[readId, fields]] = (await redis.xrange(stream, '-', '+')) as [[string, string[]]];
    expect(readId).toBe(id);
    expect(decode(fields)).toEqual({ ok: true, message });
  });
});

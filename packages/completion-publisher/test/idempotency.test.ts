import { hashTagOf } from '@chat/completion-schema/internal';
import { uniquePrefix } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createPublisher, PublisherOptionsError, publishedMarkerKey } from '../src/index.js';

const message = { operation_id: 'op-1', task_id: 't-1', success: true, result: { a: 1 } };

describe('retry-safe publishing', () => {
  const redis = new Redis(inject('redisUrl'));
  afterAll(() => redis.quit());

  it('50 concurrent publishes of one operation_id add exactly one entry and all get its id', async () => {
    const stream = `${uniquePrefix('concurrent')}completions`;
    // Separate connections, so the publishes really race on the server rather than queue on one socket.
    const clients = Array.from({ length: 5 }, () => new Redis(inject('redisUrl')));
    try {
      const publishers = clients.map((client) => createPublisher({ redis: client, stream }));
      const ids = await Promise.all(
        Array.from({ length: 50 }, (_, i) => publishers[i % publishers.length]!.publish(message)),
      );
      const entries = (await redis.xrange(stream, '-', '+')) as [string, string[]][];
      expect(entries).toHaveLength(1);
      expect(new Set(ids)).toEqual(new Set([entries[0]![0]]));
    } finally {
      await Promise.all(clients.map((client) => client.quit()));
    }
  });

  it('a retry returns the first id and adds nothing; the marker expires after the window', async () => {
    const stream = `${uniquePrefix('retry')}completions`;
    const publisher = createPublisher({ redis, stream, idempotency: { windowSeconds: 60 } });
    const first = await publisher.publish(message);
    expect(await publisher.publish({ ...message, success: false, error: 'retried' })).toBe(first);
    expect(await redis.xlen(stream)).toBe(1);

    const marker = publishedMarkerKey(stream, message.operation_id);
    expect(await redis.get(marker)).toBe(first);
    const ttl = await redis.ttl(marker);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);

    await redis.del(marker); // what expiry does at the end of the window
    const second = await publisher.publish(message);
    expect(second).not.toBe(first);
    expect(await redis.xlen(stream)).toBe(2);
  });

  it('with idempotency off every publish adds an entry and no marker is written', async () => {
    const stream = `${uniquePrefix('no-idem')}completions`;
    const publisher = createPublisher({ redis, stream, idempotency: false });
    const [a, b] = [await publisher.publish(message), await publisher.publish(message)];
    expect(a).not.toBe(b);
    expect(await redis.xlen(stream)).toBe(2);
    expect(await redis.exists(publishedMarkerKey(stream, message.operation_id))).toBe(0);
  });

  it('keeps the marker in the stream’s hash slot', () => {
    for (const stream of ['chat:completions', 'a:{x}:completions', '{x}', 'plain']) {
      const marker = publishedMarkerKey(stream, 'op-{y}');
      expect(hashTagOf(marker)).toBe(hashTagOf(stream) ?? stream);
    }
    expect(publishedMarkerKey('chat:completions', 'op-1')).toBe('{chat:completions}:published:op-1');
  });

  it('refuses a stream name whose markers could not share its slot', () => {
    expect(() => createPublisher({ redis, stream: 'a{}b}c' })).toThrow(PublisherOptionsError);
    expect(() => createPublisher({ redis, stream: 'a{}b}c', idempotency: false })).not.toThrow();
  });
});

import { decode, partitionFor, partitionStreams } from '@chat/completion-schema';
import { uniquePrefix } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  createPublisher,
  PublisherOptionsError,
  publishedMarkerKey,
  ReplicationTimeoutError,
} from '../src/index.js';
import { watchSocket } from './helpers.js';

const message = (i: number) => ({ operation_id: `op-${i}`, task_id: `task-${i}`, success: true });

describe('partitions', () => {
  const redis = new Redis(inject('redisUrl'));
  afterAll(() => redis.quit());

  it('routes each message to the partition partitionFor(task_id) names, markers beside it', async () => {
    const base = `${uniquePrefix('part')}completions`;
    const publisher = createPublisher({ redis, stream: base, partitions: 3 });
    expect(publisher.streams).toEqual(partitionStreams(base, 3));
    const ids = await Promise.all(Array.from({ length: 30 }, (_, i) => publisher.publish(message(i))));
    for (let i = 0; i < 30; i += 1) {
      const stream = publisher.streams[partitionFor(`task-${i}`, 3)]!;
      expect(publisher.streamFor(`task-${i}`)).toBe(stream);
      const [entry] = (await redis.xrange(stream, ids[i]!, ids[i]!)) as [string, string[]][];
      const [id, fields] = entry!;
      expect(id).toBe(ids[i]);
      expect(decode(fields)).toMatchObject({ ok: true, message: { task_id: `task-${i}` } });
      expect(await redis.get(publishedMarkerKey(stream, `op-${i}`))).toBe(ids[i]);
    }
    const lengths = await Promise.all(publisher.streams.map((s) => redis.xlen(s)));
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(30);
    expect(lengths.every((n) => n > 0)).toBe(true);
    // A retry of one operation lands on the same partition and returns the first id.
    expect(await publisher.publish(message(7))).toBe(ids[7]);
  });

  it('publishes a batch over every partition in one round trip on a single server', async () => {
    const base = `${uniquePrefix('part-many')}completions`;
    const publisher = createPublisher({ redis, stream: base, partitions: 3 });
    await redis.ping();
    const batch = Array.from({ length: 60 }, (_, i) => message(i));
    const { result: ids, writes } = await watchSocket(redis, () => publisher.publishMany(batch));
    expect(writes).toBe(1);
    for (const [i, id] of ids.entries()) {
      const entries = await redis.xrange(publisher.streamFor(`task-${i}`), id, id);
      expect(entries).toHaveLength(1);
    }
  });

  it('keeps the original stream name with one partition and refuses partition options that cannot work', () => {
    expect(createPublisher({ redis }).streams).toEqual(['chat:completions']);
    expect(createPublisher({ redis, partitions: 1, stream: 'a:{x}' }).streams).toEqual(['a:{x}']);
    expect(() => createPublisher({ redis, partitions: 0 })).toThrow(PublisherOptionsError);
    expect(() => createPublisher({ redis, partitions: 2000 })).toThrow(PublisherOptionsError);
    expect(() => createPublisher({ redis, partitions: 3, stream: 'svc:{a}:completions' })).toThrow(/braces/);
  });

  it('waits for replicas when asked: too few in time → ReplicationTimeoutError, the entry exists, a retry is safe', async () => {
    const stream = `${uniquePrefix('wait')}completions`;
    const publisher = createPublisher({ redis, stream, waitForReplicas: { replicas: 1, timeoutMs: 50 } });
    const error = await publisher.publish(message(1)).catch((e: unknown) => e);
    expect(ReplicationTimeoutError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'replication_timeout', replicas: 1, acknowledged: 0 });
    expect(await redis.xlen(stream)).toBe(1);
    await expect(publisher.publishMany([message(1), message(2)])).rejects.toMatchObject({
      code: 'replication_timeout',
    });
    expect(await redis.xlen(stream)).toBe(2);
    expect(() => createPublisher({ redis, waitForReplicas: { replicas: -1 } })).toThrow(
      PublisherOptionsError,
    );
  });
});

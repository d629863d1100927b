import { getFreePort, startRedis, uniquePrefix } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  ChatPipelineError,
  createPublisher,
  InvalidBatchError,
  MessageTooDeepError,
  MessageTooLargeError,
  MessageValidationError,
  PublisherClosedError,
  PublisherOptionsError,
  PublishTimeoutError,
  publishedMarkerKey,
  RedisCommandError,
  RedisUnavailableError,
} from '../src/index.js';
import { settleWithin } from './helpers.js';

const message = { operation_id: 'op-1', task_id: 't-1', success: true };
const isRedisDown = (e: unknown) => RedisUnavailableError.isInstance(e) || PublishTimeoutError.isInstance(e);

describe('bad input', () => {
  const redis = new Redis(inject('redisUrl'));
  afterAll(() => redis.quit());

  it('rejects an invalid message with zod issues and sends nothing', async () => {
    const stream = `${uniquePrefix('invalid')}completions`;
    const publisher = createPublisher({ redis, stream });
    const error = await publisher
      .publish({ operation_id: 'op', task_id: '', success: 'yes' } as never)
      .catch((e: unknown) => e);
    expect(MessageValidationError.isInstance(error)).toBe(true);
    if (!MessageValidationError.isInstance(error)) return;
    expect(error.code).toBe('schema_violation');
    expect(error.issues.map((i) => i.path.join('.')).sort()).toEqual(['success', 'task_id']);
    expect(await redis.exists(stream, publishedMarkerKey(stream, 'op'))).toBe(0);
  });

  it('rejects a message over the size cap with too_large and sends nothing', async () => {
    const stream = `${uniquePrefix('large')}completions`;
    const publisher = createPublisher({ redis, stream, maxMessageBytes: 1000 });
    const error = await publisher.publish({ ...message, result: 'é'.repeat(600) }).catch((e: unknown) => e);
    expect(MessageTooLargeError.isInstance(error)).toBe(true);
    expect((error as MessageTooLargeError).code).toBe('too_large');
    expect((error as MessageTooLargeError).sizeBytes).toBeGreaterThan(1000);
    expect(await redis.exists(stream)).toBe(0);
  });

  it('rejects a cyclic result with a validation error naming the cycle, at once, and sends nothing', async () => {
    const stream = `${uniquePrefix('cycle')}completions`;
    const publisher = createPublisher({ redis, stream });
    const result: Record<string, unknown> = { agent: { nodes: [] as unknown[] } };
    (result.agent as { nodes: unknown[] }).nodes.push(result.agent);
    const cyclic = { ...message, result } as never;
    const error = await settleWithin(publisher.publish(cyclic), 10_000);
    expect(error).toHaveProperty('error');
    const thrown = (error as { error: MessageValidationError }).error;
    expect(MessageValidationError.isInstance(thrown)).toBe(true);
    expect(thrown.message).toContain('result.agent.nodes.0: refers back to result.agent: a cycle');
    const batch = await settleWithin(publisher.publishMany([message, cyclic]), 10_000);
    const batchError = (batch as { error: InvalidBatchError }).error;
    expect(InvalidBatchError.isInstance(batchError)).toBe(true);
    expect(batchError.failures.map((f) => [f.index, f.error.code])).toEqual([[1, 'schema_violation']]);
    expect(await redis.exists(stream, publishedMarkerKey(stream, message.operation_id))).toBe(0);
  });

  it('rejects a result nested 200 000 levels with too_deep, in publish and publishMany, and sends nothing', async () => {
    const stream = `${uniquePrefix('deep')}completions`;
    const publisher = createPublisher({ redis, stream });
    const result: Record<string, unknown> = {};
    let node = result;
    for (let level = 1; level < 200_000; level++) node = node.next = {} as Record<string, unknown>;
    const deep = { ...message, result } as never;
    const error = await publisher.publish(deep).catch((e: unknown) => e);
    expect(MessageTooDeepError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'too_deep', depth: 200_000, limitDepth: 128 });
    const batch = (await publisher.publishMany([deep]).catch((e: unknown) => e)) as InvalidBatchError;
    expect(batch.failures[0]!.error.code).toBe('too_deep');
    expect(await redis.exists(stream, publishedMarkerKey(stream, message.operation_id))).toBe(0);
  });

  it('says what result may be when it is an array', async () => {
    const publisher = createPublisher({ redis, stream: `${uniquePrefix('array')}completions` });
    const error = await publisher.publish({ ...message, result: [1, 2] } as never).catch((e: unknown) => e);
    expect(MessageValidationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe(
      'invalid operation-complete message: result: must be a JSON object, a string or null; got an array',
    );
  });

  it.each([
    ['neither redis nor url', {}, 'redis'],
    ['both redis and url', { url: 'redis://127.0.0.1:1', redis: 'client' }, 'redis'],
    ['a zero maxLen count', { url: 'redis://127.0.0.1:1', maxLen: { count: 0 } }, 'maxLen.count'],
    [
      'an unknown maxLen strategy',
      { url: 'redis://127.0.0.1:1', maxLen: { strategy: 'sometimes' } },
      'maxLen.strategy',
    ],
    ['a negative timeout', { url: 'redis://127.0.0.1:1', timeoutMs: -1 }, 'timeoutMs'],
    [
      'a fractional window',
      { url: 'redis://127.0.0.1:1', idempotency: { windowSeconds: 0.5 } },
      'idempotency.windowSeconds',
    ],
    ['an empty stream name', { url: 'redis://127.0.0.1:1', stream: '' }, 'stream'],
    ['zero partitions', { url: 'redis://127.0.0.1:1', partitions: 0 }, 'partitions'],
    ['a stream without room for a marker tag', { url: 'redis://127.0.0.1:1', stream: 'a{}b}c' }, 'stream'],
  ])('refuses options with %s, naming the option', (_, options, option) => {
    let thrown: unknown;
    try {
      createPublisher(options as never);
    } catch (error) {
      thrown = error;
    }
    expect(PublisherOptionsError.isInstance(thrown)).toBe(true);
    expect(thrown).toMatchObject({ code: 'invalid_options', option });
    expect(ChatPipelineError.isInstance(thrown)).toBe(true);
  });

  it('reports a Redis error reply as redis_error and leaves no marker behind', async () => {
    const stream = `${uniquePrefix('wrongtype')}completions`;
    await redis.set(stream, 'not a stream');
    for (const idempotency of [true, false]) {
      const publisher = createPublisher({ redis, stream, idempotency });
      const error = await publisher.publish(message).catch((e: unknown) => e);
      expect(RedisCommandError.isInstance(error)).toBe(true);
      expect((error as RedisCommandError).code).toBe('redis_error');
      expect((error as Error).message).toMatch(/WRONGTYPE/);
      const many = await publisher.publishMany([message]).catch((e: unknown) => e);
      expect(RedisCommandError.isInstance(many)).toBe(true);
    }
    expect(await redis.exists(publishedMarkerKey(stream, message.operation_id))).toBe(0);
  });

  it('refuses to publish after close()', async () => {
    const publisher = createPublisher({ redis, stream: `${uniquePrefix('closed')}completions` });
    await publisher.close();
    await expect(publisher.publish(message)).rejects.toSatisfy(PublisherClosedError.isInstance);
    await expect(publisher.publishMany([message])).rejects.toSatisfy(PublisherClosedError.isInstance);
  });
});

describe('Redis down', () => {
  it('a URL with nothing listening fails with a typed error within the bound', async () => {
    const port = await getFreePort();
    const publisher = createPublisher({ url: `redis://127.0.0.1:${port}`, timeoutMs: 1000 });
    const outcome = await settleWithin(publisher.publish(message), 15_000);
    expect(outcome).not.toBe('hung');
    expect(outcome).toHaveProperty('error');
    const { error } = outcome as { error: unknown };
    expect(isRedisDown(error)).toBe(true);
    await publisher.close();
  });

  it('names the server and the cause (ECONNREFUSED) when nothing listens on the URL', async () => {
    const port = await getFreePort();
    // A deadline far above a refused connect's few milliseconds, so the refusal (not the deadline) answers.
    const publisher = createPublisher({ url: `redis://127.0.0.1:${port}`, timeoutMs: 10_000 });
    try {
      for (const attempt of [() => publisher.publish(message), () => publisher.publishMany([message])]) {
        const error = await attempt().catch((e: unknown) => e);
        expect(RedisUnavailableError.isInstance(error)).toBe(true);
        expect((error as Error).message).toMatch(
          new RegExp(
            `^Redis at 127\\.0\\.0\\.1:${port} is unavailable: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}`,
          ),
        );
        expect((error as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
      }
    } finally {
      await publisher.close();
    }
  });

  it('Redis stopped mid-test: our connection and a caller-owned one both fail typed, never hang', async () => {
    const server = await startRedis();
    const owned = new Redis(server.url); // ioredis defaults: offline queue on, 20 retries per request
    owned.on('error', () => {});
    const ours = createPublisher({ url: server.url, timeoutMs: 1000 });
    const theirs = createPublisher({ redis: owned, timeoutMs: 1000 });
    try {
      await ours.publish(message);
      await theirs.publish({ ...message, operation_id: 'op-2' });

      await server.stop();

      for (const publisher of [ours, theirs]) {
        const attempts: (() => Promise<unknown>)[] = [
          () => publisher.publish({ ...message, operation_id: 'op-3' }),
          () => publisher.publishMany([{ ...message, operation_id: 'op-4' }]),
        ];
        for (const attempt of attempts) {
          const outcome = await settleWithin(attempt(), 15_000);
          expect(outcome).not.toBe('hung');
          expect(outcome).toHaveProperty('error');
          const { error } = outcome as { error: ChatPipelineError };
          expect(isRedisDown(error)).toBe(true);
          expect(['redis_unavailable', 'publish_timeout']).toContain(error.code);
        }
      }
      // A caller-owned client that keeps retrying is cut off by our deadline.
      const timedOut = await theirs.publish(message).catch((e: unknown) => e);
      expect(PublishTimeoutError.isInstance(timedOut)).toBe(true);
      expect((timedOut as PublishTimeoutError).timeoutMs).toBe(1000);

      // Closing while Redis is down neither hangs nor throws.
      expect(await settleWithin(ours.close(), 15_000)).toEqual({ value: undefined });
    } finally {
      await ours.close();
      owned.disconnect();
      await server.stop({ removeData: true });
    }
  });

  it('recovers once Redis is back (our connection reconnects)', async () => {
    const server = await startRedis();
    const publisher = createPublisher({ url: server.url, timeoutMs: 1000 });
    try {
      await publisher.publish(message);
      await server.stop();
      await expect(publisher.publish({ ...message, operation_id: 'op-2' })).rejects.toSatisfy(isRedisDown);
      await server.start();
      // Poll: the reconnect happens on ioredis' own schedule.
      let id: string | undefined;
      for (let i = 0; i < 100 && id === undefined; i++) {
        id = await publisher.publish({ ...message, operation_id: 'op-2' }).catch(() => undefined);
        if (id === undefined) await new Promise((r) => setTimeout(r, 100));
      }
      expect(id).toMatch(/^\d+-\d+$/);
    } finally {
      await publisher.close();
      await server.stop({ removeData: true });
    }
  });
});

import { type RedisServer, startRedis } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type CompletionConsumer, type ConsumerState, ReadWatchdogError } from '../src/index.js';
import { names, pendingCount, publish, startConsumer, waitFor } from './helpers.js';

describe('losing the group or the server', () => {
  const consumers: CompletionConsumer[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.close()));
    for (const close of closers) await close();
  });

  it('DEL of the stream mid-run → the group is recreated and consumption continues', async () => {
    const redis = new Redis(inject('redisUrl'));
    closers.push(() => redis.quit());
    const { stream, group } = names('del');
    const handled: string[] = [];
    let recreated = 0;
    const consumer = await startConsumer(
      { redis, stream, group, handler: async (m) => void handled.push(m.operation_id) },
      consumers,
    );
    consumer.on('groupRecreated', () => recreated++);
    await publish(redis, stream, 5);
    await waitFor(() => handled.length === 5, 10_000, 'first batch');
    await redis.del(stream);
    // The blocked read fails with NOGROUP at once or on its next call; then the group exists again.
    await waitFor(async () => recreated > 0, 10_000, 'group recreated');
    await publish(redis, stream, 5, 5);
    await waitFor(() => handled.length === 10, 10_000, 'second batch');
    expect(handled).toEqual(Array.from({ length: 10 }, (_, i) => `op-${i}`));
    expect((await consumer.metrics()).counters.groupRecreated).toBeGreaterThanOrEqual(1);
    expect(consumer.state).toBe('ready');
    await waitFor(async () => (await pendingCount(redis, stream, group)) === 0, 5_000, 'pending empty');
  });

  it('Redis stopped and restarted → the consumer resumes by itself, through degraded back to ready', async () => {
    const server: RedisServer = await startRedis();
    closers.push(() => server.stop({ removeData: true }));
    const { stream, group } = names('restart');
    const handled: string[] = [];
    const states: ConsumerState[] = [];
    const consumer = await startConsumer(
      {
        url: server.url,
        stream,
        group,
        blockMs: 300,
        handler: async (m) => void handled.push(m.operation_id),
      },
      consumers,
    );
    consumer.on('state', (state) => states.push(state));
    const publisher = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
    publisher.on('error', () => {});
    closers.push(async () => publisher.disconnect());
    await publish(publisher, stream, 3);
    await waitFor(() => handled.length === 3, 10_000, 'before restart');

    await server.stop();
    await waitFor(() => consumer.state === 'degraded', 15_000, 'degraded');
    await server.start();
    // No persistence: the stream and group are gone, so this also exercises NOGROUP recovery.
    await waitFor(() => consumer.state === 'ready', 20_000, 'ready again');
    await publish(publisher, stream, 3, 3);
    await waitFor(() => handled.length === 6, 20_000, 'after restart');
    expect(handled.slice(3).sort()).toEqual(['op-3', 'op-4', 'op-5']);
    expect(states).toContain('degraded');
    expect(states.at(-1)).toBe('ready');
  });

  it('close() while Redis is down still completes', async () => {
    const server: RedisServer = await startRedis();
    const { stream, group } = names('close-down');
    const consumer = await startConsumer(
      { url: server.url, stream, group, blockMs: 200, handler: async () => {} },
      consumers,
    );
    await server.stop({ removeData: true });
    await waitFor(() => consumer.state === 'degraded', 15_000, 'degraded');
    await consumer.close();
    expect(consumer.state).toBe('closed');
  });

  it('redis-server frozen by SIGSTOP → the read watchdog reports a ReadWatchdogError and the consumer reads on', async () => {
    const server: RedisServer = await startRedis();
    closers.push(() => server.stop({ removeData: true }));
    const { stream, group } = names('watchdog');
    const handled: string[] = [];
    const errors: unknown[] = [];
    const consumer = await startConsumer(
      {
        url: server.url,
        stream,
        group,
        blockMs: 100,
        handler: async (m) => void handled.push(m.operation_id),
      },
      consumers,
    );
    consumer.on('error', (error) => errors.push(error));
    // Freeze the server only while the consumer is blocked in XREADGROUP: frozen during its start-up reads (own
    // pending list, on the main connection, which no watchdog covers) it would never reach a blocking read.
    const probe = new Redis(server.url);
    await waitFor(
      async () =>
        /cmd=xreadgroup\b.*flags=b|flags=b.*cmd=xreadgroup\b/.test(String(await probe.client('LIST'))),
      15_000,
      'the consumer blocked in XREADGROUP',
    );
    probe.disconnect();
    process.kill(server.pid, 'SIGSTOP');
    try {
      await waitFor(() => errors.some((e) => ReadWatchdogError.isInstance(e)), 15_000, 'watchdog error');
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }
    const error = errors.find((e) => ReadWatchdogError.isInstance(e)) as ReadWatchdogError;
    expect(error.code).toBe('read_watchdog');
    expect(error.watchdogMs).toBe(1_100);
    const publisher = new Redis(server.url);
    closers.push(() => publisher.quit());
    await publish(publisher, stream, 2);
    await waitFor(() => handled.length === 2, 15_000, 'after the freeze');
  });
});

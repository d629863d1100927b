import { errorLog, startRedis } from '@chat/testing';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import type { CompletionConsumer } from '../src/index.js';
import {
  deferred,
  names,
  pendingCount,
  publish,
  sharedRedisSuite,
  spawnFixture,
  startConsumer,
  waitFor,
} from './helpers.js';

describe('graceful close and lease renewal', () => {
  const { redis, consumers } = sharedRedisSuite();

  it('close() with a slow handler waits for fast ones, aborts the slow one at the deadline, leaves it pending', async () => {
    const { stream, group } = names('close');
    const finished: string[] = [];
    let aborted: AbortSignal | undefined;
    const consumer = await startConsumer(
      {
        redis,
        stream,
        group,
        consumer: 'closer',
        shutdownTimeoutMs: 400,
        claimIdleMs: 60_000,
        handler: async (m, ctx) => {
          if (m.operation_id === 'op-0') {
            aborted = ctx.signal;
            await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
            throw new Error('aborted');
          }
          await new Promise((r) => setTimeout(r, 150));
          finished.push(m.operation_id);
        },
      },
      consumers,
    );
    await publish(redis, stream, 3);
    await waitFor(() => aborted !== undefined && consumer.metrics, 10_000, 'handlers running');
    await waitFor(async () => (await consumer.metrics()).inFlight === 3, 10_000, 'three in flight');
    const started = Date.now();
    const first = consumer.close();
    const second = consumer.close();
    expect(second).toBe(first);
    expect(consumer.state).toBe('closing');
    await first;
    const took = Date.now() - started;
    expect(consumer.state).toBe('closed');
    expect(aborted?.aborted).toBe(true);
    expect(took).toBeGreaterThanOrEqual(390);
    expect(finished.sort()).toEqual(['op-1', 'op-2']);
    // The fast handlers' acks were flushed; the aborted entry stays pending for its owner or a claimer.
    const pending = (await redis.xpending(stream, group, '-', '+', 10)) as [string, string, number, number][];
    expect(pending).toHaveLength(1);
    expect(pending[0]?.[1]).toBe('closer');
    expect(pending[0]?.[3]).toBe(1);
    await consumer.close();
  });

  it('lease renewal keeps a long handler’s entry from being claimed by another consumer', async () => {
    const { stream, group } = names('lease');
    const runs: string[] = [];
    let release: () => void = () => {};
    const longRunning = new Promise<void>((resolve) => {
      release = resolve;
    });
    const holder = await startConsumer(
      {
        redis,
        stream,
        group,
        consumer: 'holder',
        claimIdleMs: 800,
        handler: async () => {
          runs.push('holder');
          await longRunning;
        },
      },
      consumers,
    );
    await publish(redis, stream, 1);
    await waitFor(() => runs.length === 1, 10_000, 'holder running');
    const thief = await startConsumer(
      {
        redis,
        stream,
        group,
        consumer: 'thief',
        claimIdleMs: 800,
        claimIntervalMs: 30,
        handler: async () => void runs.push('thief'),
      },
      consumers,
    );
    const claimed: string[] = [];
    thief.on('claimed', (info) => claimed.push(...info.entryIds));
    // Three claim windows: without renewal the thief would have taken it after the first.
    await new Promise((r) => setTimeout(r, 2_400));
    expect(claimed).toEqual([]);
    expect(runs).toEqual(['holder']);
    release();
    await waitFor(async () => (await pendingCount(redis, stream, group)) === 0, 10_000, 'acked');
    expect((await holder.metrics()).counters).toMatchObject({ processed: 1, leaseLost: 0 });
  });

  it('a closed consumer leaves no timer or socket behind, so its process can end', async () => {
    const { stream, group } = names('exit');
    const fixture = spawnFixture('close-and-exit', {
      REDIS_URL: inject('redisUrl'),
      STREAM: stream,
      GROUP: group,
    });
    await waitFor(() => fixture.lines.includes('started'), 20_000, 'fixture started');
    await publish(redis, stream, 1);
    await waitFor(() => fixture.lines.includes('closed'), 20_000, 'close() resolved');
    const closedAt = Date.now();
    await new Promise<void>((resolve) => {
      if (fixture.child.exitCode !== null) return resolve();
      fixture.child.once('exit', () => resolve());
    });
    // Before the fix a forgotten race timer kept the process alive for BLOCK + watchdog + 1 s (11 s here).
    expect(Date.now() - closedAt).toBeLessThan(3_000);
    expect(fixture.child.exitCode).toBe(0);
  });
});

describe('the final ack flush', () => {
  it('acknowledges an ack queued while the final flush is in flight', async () => {
    // Its own server: CLIENT PAUSE holds every writer on it.
    const server = await startRedis();
    const redis = new Redis(server.url);
    const { stream, group } = names('final-flush');
    const releaseLate = deferred();
    const started: string[] = [];
    let consumer: CompletionConsumer | undefined;
    try {
      consumer = await startConsumer(
        {
          url: server.url,
          stream,
          group,
          concurrency: 2,
          claimIdleMs: 60_000,
          // Long enough that the first ack is still queued when close() reaches its final flush.
          ackFlushMs: 60_000,
          shutdownTimeoutMs: 100,
          handler: async (m) => {
            started.push(m.operation_id);
            // op-1 ignores the shutdown signal and finishes only when the test says so.
            if (m.operation_id === 'op-1') await releaseLate.promise;
          },
        },
        [],
      );
      const processed: string[] = [];
      consumer.on('processed', (info) => processed.push(info.entryId));
      await publish(redis, stream, 2);
      await waitFor(() => processed.length === 1, 10_000, 'first handler done, its ack queued');
      await waitFor(() => started.length === 2, 10_000, 'both handlers started');
      expect(await pendingCount(redis, stream, group)).toBe(2);
      // Writes wait on the server from now on, so the final flush's XACK stays in flight until UNPAUSE.
      await redis.client('PAUSE', 30_000, 'WRITE');
      const closing = consumer.close();
      await waitFor(
        async () => /flags=\w*b\w* .*cmd=xack/.test((await redis.client('LIST')) as string),
        20_000,
        'the final XACK waiting on the paused server',
      );
      // Its ack is queued while the final flush is in flight.
      releaseLate.resolve();
      await waitFor(() => processed.length === 2, 10_000, 'second handler done, its ack queued');
      await redis.client('UNPAUSE');
      await closing;
      expect(await pendingCount(redis, stream, group)).toBe(0);
    } finally {
      await redis.client('UNPAUSE').catch(() => {});
      await consumer?.close();
      redis.disconnect();
      await server.stop({ removeData: true });
    }
  });

  it('logs how many acks were left when the deadline passes before they could be sent', async () => {
    const server = await startRedis();
    const redis = new Redis(server.url);
    const { stream, group } = names('final-flush-deadline');
    const { logger, errors } = errorLog();
    let consumer: CompletionConsumer | undefined;
    try {
      consumer = await startConsumer(
        {
          url: server.url,
          stream,
          group,
          logger,
          ackFlushMs: 60_000,
          shutdownTimeoutMs: 100,
          handler: async () => {},
        },
        [],
      );
      const processed = new Promise<void>((resolve) => consumer?.once('processed', () => resolve()));
      await publish(redis, stream, 1);
      await processed;
      // The ack can never be sent before the deadline: every write waits on the server.
      await redis.client('PAUSE', 60_000, 'WRITE');
      await consumer.close();
      expect(consumer.state).toBe('closed');
      const left = errors.find((e) => e.fields.count !== undefined);
      expect(left?.fields.count).toBe(1);
      expect(left?.message).toMatch(/1 acknowledgement/);
    } finally {
      await redis.client('UNPAUSE').catch(() => {});
      await consumer?.close();
      redis.disconnect();
      await server.stop({ removeData: true });
    }
  });
});

import { randomBytes } from 'node:crypto';
import type { Logger } from '@chat/completion-schema';
import { getFreePort, startRedis } from '@chat/testing';
import { Redis } from 'ioredis';
import { describe, expect, inject, it, vi } from 'vitest';
import { type StreamEntry, StreamRegistry } from '../src/index.js';
import { makeRegistry, newTask, waitFor } from './helpers.js';

describe('lifecycle', () => {
  it('close() ends live subscribers, quits the reader, leaves a caller-owned client open, and is idempotent', async () => {
    const name = `reg-close-${randomBytes(4).toString('hex')}`;
    const t = makeRegistry('compat', {}, { connectionName: name });
    const task = await newTask(t.registry);
    const subscription = await t.registry.subscribe(task.taskId, { userId: 'user-1' });
    const run = (async () => {
      for await (const _ of subscription);
    })();
    await waitFor(() => t.registry.liveSubscriberCount === 1, 10_000, 'live subscriber');
    const closing = t.registry.close();
    expect(t.registry.close()).toBe(closing);
    await closing;
    await run;
    expect(subscription.endReason).toBe('closed');
    expect(t.redis.status).toBe('ready');
    const list = (await t.redis.client('LIST')) as string;
    expect(list.split('\n').filter((line) => line.includes(` name=${name}`))).toHaveLength(1);
    await expect(t.registry.getTask(task.taskId)).rejects.toMatchObject({ code: 'closed' });
    await t.redis.quit();
  });

  it('a subscription created before close() but iterated after it ends at once', async () => {
    const t = makeRegistry('compat');
    const task = await newTask(t.registry);
    const subscription = await t.registry.subscribe(task.taskId, { userId: 'user-1' });
    await t.registry.close();
    for await (const _ of subscription);
    expect(subscription.endReason).toBe('closed');
    await t.redis.quit();
  });

  it('close() quits a connection the registry opened from a URL', async () => {
    const registry = new StreamRegistry({ url: inject('redisUrl') });
    expect(await registry.getTask('none')).toBeNull();
    await registry.close();
    const own = (registry as unknown as { redis: Redis }).redis;
    await waitFor(() => own.status === 'end', 5000, 'the owned connection to end');
  });

  it('a live subscriber keeps tailing across a Redis restart', async () => {
    const server = await startRedis({ appendOnly: true, appendFsync: 'always' });
    const redis = new Redis(server.url, { maxRetriesPerRequest: null });
    redis.on('error', () => {}); // refused connections while the server restarts are expected
    const registry = new StreamRegistry({ redis, blockMs: 200 });
    try {
      const task = await newTask(registry);
      const subscription = await registry.subscribe(task.taskId, { userId: 'user-1' });
      const got: StreamEntry[] = [];
      const run = (async () => {
        for await (const entry of subscription) got.push(entry);
      })();
      await registry.publishChunk(task.taskId, { type: 'start' });
      await waitFor(() => got.length === 1, 10_000, 'first chunk');
      await server.restart();
      await waitFor(
        async () => (await registry.getTask(task.taskId).catch(() => null)) !== null,
        20_000,
        'redis',
      );
      await registry.publishChunk(task.taskId, { type: 'data-after-restart', data: 1 });
      await registry.completeTask(task.taskId, { status: 'completed', chunks: [] });
      await run;
      expect(got.map((e) => e.chunk.type)).toEqual(['start', 'data-after-restart', 'finish']);
    } finally {
      await registry.close();
      redis.disconnect();
      await server.stop({ removeData: true });
    }
  });

  describe('connection errors of a registry opened from a URL', () => {
    /** A logger that keeps what it was told, and spies on every way text reaches the console. */
    const capture = () => {
      const logged: { level: string; msg: string | undefined }[] = [];
      const at =
        (level: string) =>
        (_obj: object | string, msg?: string): void =>
          void logged.push({ level, msg });
      const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
      const spies = [
        vi.spyOn(process.stderr, 'write'),
        vi.spyOn(process.stdout, 'write'),
        vi.spyOn(console, 'error'),
        vi.spyOn(console, 'warn'),
        vi.spyOn(console, 'log'),
      ];
      const printed = () => spies.flatMap((spy) => spy.mock.calls.map((call) => String(call[0])));
      const restore = () => {
        for (const spy of spies) spy.mockRestore();
      };
      return { logged, logger, printed, restore };
    };

    it('nothing listening: the errors reach the logger, nothing reaches the console', async () => {
      const port = await getFreePort();
      const { logged, logger, printed, restore } = capture();
      try {
        const registry = new StreamRegistry({ url: `redis://127.0.0.1:${port}`, logger });
        try {
          const errors = () => logged.filter((l) => l.msg === 'stream-registry: connection error');
          await waitFor(() => errors().length >= 2 || printed().length > 0, 20_000, 'two connection errors');
          expect(printed()).toEqual([]);
          expect(errors()[0]).toEqual({ level: 'warn', msg: 'stream-registry: connection error' });
        } finally {
          await registry.close();
        }
        expect(printed()).toEqual([]);
      } finally {
        restore();
      }
    });

    it('the server stops under a live subscriber: both connections report to the logger, none to the console', async () => {
      const server = await startRedis();
      const { logged, logger, printed, restore } = capture();
      try {
        const registry = new StreamRegistry({ url: server.url, logger, blockMs: 200 });
        try {
          const task = await newTask(registry);
          const subscription = await registry.subscribe(task.taskId, { userId: 'user-1' });
          const run = (async () => {
            for await (const _ of subscription);
          })();
          await waitFor(() => registry.liveSubscriberCount === 1, 10_000, 'live subscriber');
          await server.stop();
          await waitFor(
            () =>
              printed().length > 0 ||
              (logged.some((l) => l.msg === 'stream-registry: connection error') &&
                logged.some((l) => l.msg === 'stream-registry: reader connection error')),
            20_000,
            'errors of the command and the reader connection logged',
          );
          expect(printed()).toEqual([]);
          // close() must not wait for the reader's XREAD, stuck on a connection that is reconnecting.
          let timer: NodeJS.Timeout | undefined;
          const closed = await Promise.race([
            registry.close().then(() => 'closed'),
            new Promise((resolve) => {
              timer = setTimeout(() => resolve('still closing after 10 s'), 10_000);
            }),
          ]);
          clearTimeout(timer);
          expect(closed).toBe('closed');
          await run;
          expect(subscription.endReason).toBe('closed');
        } finally {
          await registry.close();
        }
        expect(printed()).toEqual([]);
      } finally {
        restore();
        await server.stop();
      }
    });
  });
});

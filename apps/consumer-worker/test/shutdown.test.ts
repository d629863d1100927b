import { createPublisher } from '@chat/completion-publisher';
import { createStreamRegistry } from '@chat/stream-registry';
import { type RedisServer, startRedis, waitFor } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, startWorkerProcess } from './helpers.js';

const PASSWORD = 'pw-Very-Secret-7781';
const TASKS = 2_000;

describe('SIGTERM under load', () => {
  let server: RedisServer;
  let redis: Redis;
  let url: string;
  beforeAll(async () => {
    server = await startRedis({ args: ['--requirepass', PASSWORD] });
    url = `redis://:${PASSWORD}@127.0.0.1:${server.port}`;
    redis = new Redis(url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop({ removeData: true });
  });

  it('exits 0 within the shutdown timeout, acks nothing unprocessed, and never logs the Redis password', async () => {
    const { env, stream, keyPrefix } = isolatedEnv(url, 'sigterm', {
      SHUTDOWN_TIMEOUT_MS: '5000',
      CONCURRENCY: '8',
    });
    const registry = createStreamRegistry({ redis, keyPrefix });
    for (let i = 0; i < TASKS; i += 200) {
      await Promise.all(
        Array.from({ length: 200 }, (_, j) =>
          registry.createTask({
            taskId: `t-${i + j}`,
            sessionId: 's',
            toolCallId: `c-${i + j}`,
            toolName: 'create_agent',
            operationId: `op-${i + j}`,
          }),
        ),
      );
    }
    const { worker } = await startWorkerProcess(env);
    const publisher = createPublisher({ redis, stream });
    const messages = Array.from({ length: TASKS }, (_, i) => ({
      operation_id: `op-${i}`,
      task_id: `t-${i}`,
      success: true,
      result: `done ${i}`,
    }));
    for (let i = 0; i < TASKS; i += 500) await publisher.publishMany(messages.slice(i, i + 500));

    await worker.waitForLog((l) => l.msg === 'completion settled');
    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    const drainMs = Date.now() - signalledAt;
    expect(drainMs).toBeLessThan(5_000 + 3_000);

    // Every entry the group delivered and acked must have its effect in Redis.
    const [groupInfo] = (await redis.xinfo('GROUPS', stream)) as unknown[][];
    const lastDelivered = String(groupInfo![groupInfo!.indexOf('last-delivered-id') + 1]);
    const pending = new Set(
      ((await redis.xpending(stream, 'chat_consumers', '-', '+', TASKS)) as [string][]).map(([id]) => id),
    );
    const entries = (await redis.xrange(stream, '-', lastDelivered)) as [string, string[]][];
    let ackedUnprocessed = 0;
    for (const [id, fields] of entries) {
      if (pending.has(id)) continue;
      const taskId = JSON.parse(fields[1]!).task_id as string;
      if ((await registry.getTask(taskId))?.status !== 'completed') ackedUnprocessed++;
    }
    expect(ackedUnprocessed).toBe(0);
    // The signal must have landed under load: some entries delivered, not all of them done.
    const completedAtExit = (
      await Promise.all(
        Array.from({ length: TASKS }, (_, i) => redis.hget(`${keyPrefix}task:meta:t-${i}`, 'status')),
      )
    ).filter((s) => s === 'completed').length;
    console.log(
      `SIGTERM: drained in ${drainMs} ms; ${completedAtExit}/${TASKS} completed, ${pending.size} left pending`,
    );
    expect(entries.length).toBeGreaterThan(0);
    expect(completedAtExit).toBeLessThan(TASKS);

    // A new worker finishes the rest: nothing was lost by the shutdown.
    const second = await startWorkerProcess({ ...env, CONSUMER_NAME: 'second' });
    await waitFor(async () => {
      const statuses = await Promise.all(
        Array.from({ length: TASKS }, (_, i) => redis.hget(`${keyPrefix}task:meta:t-${i}`, 'status')),
      );
      return statuses.every((s) => s === 'completed');
    }, 60_000);
    second.worker.child.kill('SIGTERM');
    expect(await second.worker.exited).toBe(0);

    for (const output of [worker.output(), second.worker.output()]) {
      expect(output).not.toContain(PASSWORD);
      expect(output).toContain('redis://:***@127.0.0.1');
    }
    await publisher.close();
    await registry.close();
  });
});

import { createPublisher } from '@chat/completion-publisher';
import { DEFAULT_COMPLETION_STREAM, DEFAULT_CONSUMER_GROUP } from '@chat/completion-schema';
import { StreamRegistry } from '@chat/stream-registry';
import { ackedEntries, type RedisServer, startRedis, waitFor } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultScale } from '../src/scale.js';
import { WorkerFleet } from '../src/worker-fleet.js';
import { buildCompletions, registerTasks } from '../src/workload.js';

const scale = faultScale();
const TASKS = scale.name === 'full' ? 20_000 : 6_000;
const SHUTDOWN_TIMEOUT_MS = 5_000;

describe('SIGTERM under load, three workers', () => {
  let server: RedisServer;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedis({ appendOnly: true, appendFsync: 'always' });
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop({ removeData: true });
  });

  it('each worker exits 0 within its shutdown timeout and nothing is acked unprocessed', async () => {
    const registry = new StreamRegistry({ redis });
    const completions = buildCompletions(TASKS, 0);
    await registerTasks(registry, completions);
    const env = {
      REDIS_URL: server.url,
      NODE_ENV: 'production',
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      CONCURRENCY: '8',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      // The per-completion `completion settled` line this test waits for is logged at debug.
      LOG_LEVEL: 'debug',
    };
    const fleet = new WorkerFleet(env, 3);
    try {
      await fleet.startAll();
      const publisher = createPublisher({ redis, maxLen: { strategy: 'off' } });
      for (let i = 0; i < TASKS; i += 1000)
        await publisher.publishMany(completions.slice(i, i + 1000).map((c) => c.message));
      await Promise.all(fleet.live().map((m) => m.process.waitForLog((l) => l.msg === 'completion settled')));

      const exits = await fleet.terminate();
      for (const exit of exits) {
        expect(exit.code).toBe(0);
        // The drain deadline plus process exit and the last ack flush.
        expect(exit.ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 3_000);
      }
      const acked = await ackedEntries(redis, DEFAULT_COMPLETION_STREAM, DEFAULT_CONSUMER_GROUP);
      const expectedById = new Map(completions.map((c) => [c.message.task_id, c.expected]));
      const statuses = await Promise.all(
        acked.map(async ([, fields]) => {
          const taskId = (JSON.parse(fields[1]!) as { task_id: string }).task_id;
          return (await redis.hget(`chat:task:meta:${taskId}`, 'status')) === expectedById.get(taskId);
        }),
      );
      const ackedUnprocessed = statuses.filter((ok) => !ok).length;
      console.log(
        `SIGTERM x3: exits ${exits.map((e) => `${e.code} in ${e.ms} ms`).join(', ')}; ${acked.length}/${TASKS} acked at exit, ${ackedUnprocessed} acked unprocessed`,
      );
      expect(ackedUnprocessed).toBe(0);
      // The signals must have landed under load.
      expect(acked.length).toBeGreaterThan(0);
      expect(acked.length).toBeLessThan(TASKS);

      // New workers under the same names finish the rest: the shutdown lost nothing.
      const second = new WorkerFleet(env, 3);
      try {
        await second.startAll();
        await waitFor(async () => {
          const pending = (
            (await redis.xpending(DEFAULT_COMPLETION_STREAM, DEFAULT_CONSUMER_GROUP)) as [number]
          )[0];
          const groups = (await redis.xinfo('GROUPS', DEFAULT_COMPLETION_STREAM)) as unknown[][];
          const lag = groups[0]?.[groups[0].indexOf('lag') + 1];
          return pending === 0 && lag === 0;
        }, 120_000);
        const done = await Promise.all(
          completions.map(
            async (c) => (await redis.hget(`chat:task:meta:${c.message.task_id}`, 'status')) === c.expected,
          ),
        );
        expect(done.filter((ok) => !ok)).toHaveLength(0);
        for (const exit of await second.terminate()) expect(exit.code).toBe(0);
      } finally {
        await second.killAll();
      }
      await publisher.close();
      await registry.close();
    } finally {
      await fleet.killAll();
    }
  });
});

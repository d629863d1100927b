import { createPublisher } from '@chat/completion-publisher';
import { createStreamRegistry } from '@chat/stream-registry';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { isolatedEnv, spawnWorker, testTask } from './helpers.js';

const FIXTURE = new URL('./fixtures/slow-hook-worker.mjs', import.meta.url).pathname;

describe('signals', () => {
  const url = inject('redisUrl');
  const redis = new Redis(url);
  afterAll(() => redis.quit());

  it('a second SIGTERM during the drain exits at once (code 1) and leaves the in-flight entry pending', async () => {
    const { env, stream, keyPrefix } = isolatedEnv(url, 'second-signal', { SHUTDOWN_TIMEOUT_MS: '60000' });
    const worker = spawnWorker(env, FIXTURE);
    await worker.waitForLog((line) => line.msg === 'consumer-worker ready', 30_000);
    const registry = createStreamRegistry({ redis, keyPrefix });
    const publisher = createPublisher({ redis, stream });
    try {
      await registry.createTask(testTask('slow', 'slow_tool'));
      await publisher.publish({ operation_id: 'op-slow', task_id: 'slow', success: true });
      await worker.waitForLog((line) => line.msg === 'slow hook started');

      worker.child.kill('SIGTERM');
      await worker.waitForLog((line) => line.msg === 'draining');
      // With a 60 s drain deadline and a hook that never ends, only the second signal can end it now.
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(1);
      expect(worker.logs.some((line) => line.msg === 'second signal: exiting at once')).toBe(true);

      expect(((await redis.xpending(stream, 'chat_consumers')) as [number])[0]).toBe(1);
      expect(await registry.getTask('slow')).toMatchObject({ status: 'running' });
    } finally {
      worker.child.kill('SIGKILL');
      await publisher.close();
      await registry.close();
    }
  });
});

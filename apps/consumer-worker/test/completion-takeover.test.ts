import { createPublisher } from '@chat/completion-publisher';
import { createStreamRegistry } from '@chat/stream-registry';
import { waitFor } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { isolatedEnv, PHASE_HOOKS_WORKER, readChunks, spawnWorker } from './helpers.js';

describe('a worker SIGKILLed inside a completion phase', () => {
  const url = inject('redisUrl');
  const redis = new Redis(url);
  afterAll(() => redis.quit());

  it('persist and continuation: another worker takes over, one tool output, one finish, the answer closed', async () => {
    // A short claim idle time (and so completion lease) keeps the takeover quick.
    const { env, stream, keyPrefix } = isolatedEnv(url, 'takeover', { CLAIM_IDLE_MS: '1000' });
    const registry = createStreamRegistry({ redis, keyPrefix });
    const publisher = createPublisher({ redis, stream });
    const first = spawnWorker({ ...env, HANG: '1', CONSUMER_NAME: 'first' }, PHASE_HOOKS_WORKER);
    let second: ReturnType<typeof spawnWorker> | undefined;
    try {
      await first.waitForLog((line) => line.msg === 'consumer-worker ready', 30_000);
      for (const phase of ['persist', 'continue']) {
        await registry.createTask({
          taskId: phase,
          sessionId: 's',
          toolCallId: `call-${phase}`,
          toolName: `hang_${phase}`,
          operationId: `op-${phase}`,
        });
        await publisher.publish({
          operation_id: `op-${phase}`,
          task_id: phase,
          success: true,
          result: 'out',
        });
      }
      for (const taskId of ['persist', 'continue'])
        await first.waitForLog((line) => line.msg === 'hook hanging' && line.taskId === taskId);
      first.child.kill('SIGKILL');
      await first.exited;
      // What a Python reader sees meanwhile: the task is still running.
      expect(await redis.hget(registry.keys.meta('continue'), 'status')).toBe('running');

      second = spawnWorker({ ...env, CONSUMER_NAME: 'second' }, PHASE_HOOKS_WORKER);
      for (const taskId of ['persist', 'continue'])
        await waitFor(async () => (await registry.getTask(taskId))?.status === 'completed', 20_000, taskId);

      const takeovers = second.logs.filter((line) => line.msg === 'resuming a completion settled earlier');
      expect(Object.fromEntries(takeovers.map((line) => [line.taskId, line.phase]))).toEqual({
        persist: 'settled',
        continue: 'continuing',
      });
      const output = {
        type: 'tool-output-available',
        toolName: 'hang_persist',
        output: 'out',
        success: true,
      };
      // Killed in persist: the new owner persists and streams the whole continuation.
      expect(await readChunks(redis, registry, 'persist')).toEqual([
        { ...output, toolCallId: 'call-persist' },
        { type: 'start-step' },
        { type: 'text-start', id: 'text-persist' },
        { type: 'text-delta', id: 'text-persist', delta: 'Part one. ' },
        { type: 'text-delta', id: 'text-persist', delta: 'Part two.' },
        { type: 'text-end', id: 'text-persist' },
        { type: 'finish-step' },
        { type: 'finish' },
      ]);
      expect(second.logs.some((line) => line.msg === 'persisted' && line.taskId === 'persist')).toBe(true);
      // Killed in the continuation: not repeated; what the dead owner left open is closed after an error chunk.
      expect(await readChunks(redis, registry, 'continue')).toEqual([
        { ...output, toolCallId: 'call-continue', toolName: 'hang_continue' },
        { type: 'start-step' },
        { type: 'text-start', id: 'text-continue' },
        { type: 'text-delta', id: 'text-continue', delta: 'Part one. ' },
        {
          type: 'error',
          errorText: 'Failed to generate response: the worker streaming it stopped before the end',
        },
        { type: 'text-end', id: 'text-continue' },
        { type: 'finish-step' },
        { type: 'finish' },
      ]);
      await waitFor(
        async () => ((await redis.xpending(stream, 'chat_consumers')) as [number])[0] === 0,
        10_000,
        'both entries acked',
      );
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGKILL');
      await publisher.close();
      await registry.close();
    }
  });
});

import { isolatedEnv, startWorkerProcess } from '@chat/consumer-worker/test';
import { waitFor } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  type OriginalSide,
  type OriginalSubscription,
  type OriginalTask,
  original,
  pythonSkipReason,
} from '../src/original.js';

const skip = pythonSkipReason() !== null;
const GROUP = 'chat_consumers';
const PYTHON_CONSUMER = 'consumer-5eed1e55';

describe.skipIf(skip)('cutover: Python consumers stopped with entries pending in chat_consumers', () => {
  const url = inject('redisUrl');
  const redis = new Redis(url);
  afterAll(() => redis.quit());

  it('our workers, same group, claim and complete them; nothing has a visible effect twice; the worker warned', async () => {
    const { env, stream, keyPrefix } = isolatedEnv(url, 'interop-cutover', {
      CONSUMER_GROUP: GROUP,
      CONSUMER_NAME: 'ts-worker-1',
      CLAIM_IDLE_MS: '500',
    });
    const side: OriginalSide = { url, prefix: keyPrefix };
    const ids = ['t0', 't1', 't2', 't3', 't4', 't5'];
    const failing = new Set(['t4']);
    await Promise.all(
      ids.map((id) =>
        original(side, 'create-task', {
          task_id: id,
          session_id: 's',
          user_id: 'u',
          tool_call_id: `call-${id}`,
          tool_name: 'create_agent',
          operation_id: `op-${id}`,
        }),
      ),
    );
    for (const id of ids) {
      await original(side, 'publish', {
        stream,
        message: failing.has(id)
          ? { operation_id: `op-${id}`, task_id: id, success: false, error: `failed ${id}` }
          : { operation_id: `op-${id}`, task_id: id, success: true, result: { done: id } },
      });
    }
    // The last Python pod reads all six, completes t0 and t1 and acks them, completes t2 but is stopped before
    // its XACK, and is stopped before it handles t3..t5 (stop cancels handlers mid-flight).
    const python = await original<{ id: string; outcome: string }[]>(side, 'consume', {
      stream,
      group: GROUP,
      consumer: PYTHON_CONSUMER,
      count: 6,
      handle: 3,
      ack: 2,
    });
    expect(python.map((entry) => entry.outcome)).toEqual([
      'completed',
      'completed',
      'completed',
      'left_pending',
      'left_pending',
      'left_pending',
    ]);
    expect((await redis.xpending(stream, GROUP))[0]).toBe(4);

    const { worker, http } = await startWorkerProcess(env);
    try {
      // Checked at start, before our consumer claimed anything.
      const warning = await worker.waitForLog((line) => line.consumer === PYTHON_CONSUMER);
      expect(warning).toMatchObject({ level: 40, stream, group: GROUP, pending: 4 });
      const metrics = await (await fetch(`${http}/metrics`)).text();
      expect(metrics).toContain(
        `chat_worker_foreign_consumer_pending{stream="${stream}",group="${GROUP}",consumer="${PYTHON_CONSUMER}"} 4`,
      );

      await waitFor(async () => (await redis.xpending(stream, GROUP))[0] === 0, 20_000, 'every entry acked');
      const outcomes = worker.logs.filter((line) => line.msg === 'completion settled');
      expect(outcomes.map((line) => `${line.taskId}:${line.outcome}`).sort()).toEqual([
        't2:duplicate',
        't3:completed',
        't4:failed',
        't5:completed',
      ]);

      for (const id of ids) {
        const task = await original<OriginalTask>(side, 'get-task', { task_id: id });
        expect(task.status).toBe(failing.has(id) ? 'failed' : 'completed');
        // What a Python pod serving the task shows: one outcome, one finish, whichever system completed it.
        const seen = await original<OriginalSubscription>(side, 'subscribe', { task_id: id });
        expect(seen.finished).toBe(true);
        expect(seen.events.map((e) => ('type' in e ? e.type : 'dropped'))).toEqual(
          failing.has(id) ? ['error', 'finish'] : ['tool-output-available', 'finish'],
        );
        // And nothing after it: the stream holds exactly those two entries.
        expect(await redis.xlen(`${side.prefix}stream:${id}`)).toBe(2);
      }
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  });
});

import {
  isolatedEnv,
  PHASE_HOOKS_WORKER,
  startWorkerProcess,
  type WorkerProcess,
} from '@chat/consumer-worker/test';
import { waitFor } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  type OriginalSide,
  type OriginalSubscription,
  type OriginalTask,
  original,
  pythonSkipReason,
  registerOriginalTask,
} from '../src/original.js';

const skip = pythonSkipReason() !== null;

/**
 * What the original's subscriber stored for each entry, in order (a dropped entry as `dropped`), with a JSON tool
 * output parsed: the original writes an object result with `json.dumps` (`{"a": 1}`), ours with `JSON.stringify`
 * (`{"a":1}`), the same JSON.
 */
const storedOf = (subscription: OriginalSubscription) =>
  subscription.events.map((event) => {
    if (!('stored' in event)) return { dropped: event.dropped };
    const { output } = event.stored as { output?: unknown };
    return typeof output === 'string' && output.startsWith('{')
      ? { ...event.stored, output: JSON.parse(output) }
      : event.stored;
  });

describe.skipIf(skip)(
  'a Python-registered task completed by our worker in phases ends as the original ends it',
  () => {
    const url = inject('redisUrl');
    const redis = new Redis(url);
    const { env, stream, keyPrefix } = isolatedEnv(url, 'interop-phases');
    const side: OriginalSide = { url, prefix: keyPrefix };
    let worker: WorkerProcess;
    beforeAll(async () => {
      // Our worker with a continuation hook (PHASE_HOOKS_WORKER); the compat layout's default, the original dialect.
      ({ worker } = await startWorkerProcess(env, PHASE_HOOKS_WORKER));
    });
    afterAll(async () => {
      worker.child.kill('SIGTERM');
      await worker.exited;
      await redis.quit();
    });

    const register = (id: string) => registerOriginalTask(side, id);

    it('the same tool chunk, status and cleared marker, with the continuation between the tool output and finish', async () => {
      for (const id of ['py-ok', 'ts-ok', 'py-bad', 'ts-bad']) await register(id);
      // The original completes its two in process; ours come through the original's producer and our worker.
      await original(side, 'complete', { task_id: 'py-ok', success: true, result: { agent_id: 'a-1' } });
      await original(side, 'complete', { task_id: 'py-bad', success: false, error: 'generation timed out' });
      await original(side, 'publish', {
        stream,
        message: { operation_id: 'op-ts-ok', task_id: 'ts-ok', success: true, result: { agent_id: 'a-1' } },
      });
      await original(side, 'publish', {
        stream,
        message: {
          operation_id: 'op-ts-bad',
          task_id: 'ts-bad',
          success: false,
          error: 'generation timed out',
        },
      });
      const subscribe = (id: string) => original<OriginalSubscription>(side, 'subscribe', { task_id: id });
      const [pyOk, tsOk, pyBad, tsBad] = await Promise.all([
        subscribe('py-ok'),
        subscribe('ts-ok'),
        subscribe('py-bad'),
        subscribe('ts-bad'),
      ]);
      for (const subscription of [pyOk, tsOk, pyBad, tsBad]) expect(subscription.finished).toBe(true);

      // Ids differ by task; otherwise the original's chunks and ours are the same, the continuation aside.
      const same = (stored: unknown[], from: string, to: string) =>
        JSON.parse(JSON.stringify(stored).replaceAll(from, to)) as unknown[];
      const original_ = same(storedOf(pyOk), 'py-ok', 'ts-ok');
      const ours = storedOf(tsOk);
      const continuation = [
        { type: 'start-step' },
        { type: 'text-start', id: 'text-ts-ok' },
        { type: 'text-delta', id: 'text-ts-ok', delta: 'Part one. ' },
        { type: 'text-delta', id: 'text-ts-ok', delta: 'Part two.' },
        { type: 'text-end', id: 'text-ts-ok' },
        { type: 'finish-step' },
      ];
      // start, tool-input-available, tool-output-available (toolName, success), finish — and ours with the
      // continuation spliced in before the finish, every chunk of it one the original's subscriber knows.
      expect(original_.map((chunk) => (chunk as { type?: string }).type)).toEqual([
        'start',
        'tool-input-available',
        'tool-output-available',
        'finish',
      ]);
      expect(ours).toEqual([...original_.slice(0, 3), ...continuation, original_[3]]);
      // The failure path has no continuation: the same chunks exactly.
      expect(storedOf(tsBad)).toEqual(same(storedOf(pyBad), 'py-bad', 'ts-bad'));

      await waitFor(async () => (await redis.xpending(stream, 'chat_consumers'))[0] === 0);
      for (const [py, ts, status] of [
        ['py-ok', 'ts-ok', 'completed'],
        ['py-bad', 'ts-bad', 'failed'],
      ] as const) {
        const [theirs, mine] = await Promise.all([
          original<OriginalTask>(side, 'get-task', { task_id: py }),
          original<OriginalTask>(side, 'get-task', { task_id: ts }),
        ]);
        expect([theirs.status, mine.status]).toEqual([status, status]);
        expect(await redis.exists(`${keyPrefix}running_operation:call-${py}`)).toBe(0);
        expect(await redis.exists(`${keyPrefix}running_operation:call-${ts}`)).toBe(0);
      }
    });
  },
);

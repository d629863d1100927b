import { createPublisher } from '@chat/completion-publisher';
import { isolatedEnv, startWorkerProcess, type WorkerProcess } from '@chat/consumer-worker/test';
import { StreamRegistry } from '@chat/stream-registry';
import { uniquePrefix, waitFor } from '@chat/testing';
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

describe.skipIf(skip)('the Python original reads what our packages write', () => {
  const url = inject('redisUrl');
  const redis = new Redis(url);
  afterAll(() => redis.quit());

  it("our publisher's entries are valid OperationCompleteMessages, field for field", async () => {
    const stream = `${uniquePrefix('interop-pub')}completions`;
    const publisher = createPublisher({ redis, stream });
    const messages = [
      {
        operation_id: 'op-1',
        task_id: 't-1',
        success: true,
        result: { agent_id: 'a-1', nested: { n: [1, 2] } },
      },
      { operation_id: 'op-2', task_id: 't-2', success: true, result: 'a string result' },
      { operation_id: 'op-3', task_id: 't-3', success: false, error: 'Agent generation timed out' },
      { operation_id: 'op-4', task_id: 't-4', success: true, result: null },
      { operation_id: 'op-5', task_id: 't-5', success: false },
    ];
    try {
      for (const message of messages) await publisher.publish(message);
      const read = await original<{ ok: boolean; message?: Record<string, unknown>; error?: string }[]>(
        { url, prefix: '' },
        'validate-entries',
        { stream },
      );
      expect(read.map((entry) => entry.error)).toEqual(messages.map(() => undefined));
      expect(read.map((entry) => entry.message)).toEqual(
        messages.map((m) => ({ result: null, error: null, ...m })),
      );
    } finally {
      await publisher.close();
    }
  });

  it("our registry's compat tasks are what the original's get_task reads, created_at in its own format", async () => {
    const side: OriginalSide = { url, prefix: uniquePrefix('interop-get') };
    const registry = new StreamRegistry({ redis, keyPrefix: side.prefix });
    try {
      const mine = await registry.createTask({
        taskId: 'ours-1',
        sessionId: 's-1',
        userId: 'u-1',
        toolCallId: 'call-1',
        toolName: 'create_agent',
        operationId: 'op-1',
      });
      await registry.createTask({
        taskId: 'ours-anon',
        sessionId: 's-1',
        toolCallId: 'call-2',
        toolName: 'edit_agent',
        operationId: 'op-2',
      });
      const [seen, anonymous, missing] = await Promise.all([
        original<OriginalTask>(side, 'get-task', { task_id: 'ours-1' }),
        original<OriginalTask>(side, 'get-task', { task_id: 'ours-anon' }),
        original<OriginalTask | null>(side, 'get-task', { task_id: 'nope' }),
      ]);
      expect(seen).toMatchObject({
        task_id: 'ours-1',
        session_id: 's-1',
        user_id: 'u-1',
        tool_call_id: 'call-1',
        tool_name: 'create_agent',
        operation_id: 'op-1',
        status: 'running',
        created_at: mine.createdAt,
        created_at_is_original_format: true,
      });
      // datetime.fromisoformat read it to the same instant.
      expect(Date.parse(seen.created_at_parsed!)).toBe(Date.parse(mine.createdAt));
      expect(anonymous).toMatchObject({ user_id: null, status: 'running' });
      expect(missing).toBeNull();

      await registry.completeTask('ours-1', { status: 'failed', chunks: [], error: 'x' });
      expect(await original<OriginalTask>(side, 'get-task', { task_id: 'ours-1' })).toMatchObject({
        status: 'failed',
      });
    } finally {
      await registry.close();
    }
  });

  describe.each([
    { dialect: 'original', failure: 'shown' },
    { dialect: 'ai-sdk', failure: 'dropped' },
  ] as const)(
    'tasks the Python API registered, completed by our worker (CHUNK_DIALECT=$dialect)',
    ({ dialect, failure }) => {
      const { env, stream, keyPrefix } = isolatedEnv(url, `interop-${dialect}`, { CHUNK_DIALECT: dialect });
      const side: OriginalSide = { url, prefix: keyPrefix };
      let worker: WorkerProcess;
      beforeAll(async () => {
        ({ worker } = await startWorkerProcess(env));
      });
      afterAll(async () => {
        worker.child.kill('SIGTERM');
        await worker.exited;
      });

      it(`the Python subscriber sees the output, and the failure is ${failure}`, async () => {
        const register = (id: string) => registerOriginalTask(side, id);
        await Promise.all([register('ok'), register('bad')]);
        // Published by the original's producer code.
        await original(side, 'publish', {
          stream,
          message: { operation_id: 'op-ok', task_id: 'ok', success: true, result: { agent_id: 'a-1' } },
        });
        await original(side, 'publish', {
          stream,
          message: { operation_id: 'op-bad', task_id: 'bad', success: false, error: 'generation timed out' },
        });
        const [ok, bad] = await Promise.all([
          original<OriginalSubscription>(side, 'subscribe', { task_id: 'ok' }),
          original<OriginalSubscription>(side, 'subscribe', { task_id: 'bad' }),
        ]);
        const types = (s: OriginalSubscription) => s.events.map((e) => ('type' in e ? e.type : 'dropped'));

        expect(ok.finished).toBe(true);
        expect(types(ok)).toEqual(['start', 'tool-input-available', 'tool-output-available', 'finish']);
        const output = ok.events[2] as Extract<OriginalSubscription['events'][number], { stored: unknown }>;
        expect(output.stored).toMatchObject({ toolCallId: 'call-ok', output: '{"agent_id":"a-1"}' });
        expect(output.sse).toBe(
          `data: ${JSON.stringify({ type: 'tool-output-available', toolCallId: 'call-ok', output: '{"agent_id":"a-1"}' })}\n\n`,
        );

        expect(bad.finished).toBe(true);
        if (failure === 'shown') {
          expect(types(bad)).toEqual(['start', 'tool-input-available', 'error', 'finish']);
          expect(bad.events[2]).toMatchObject({
            stored: { type: 'error', errorText: 'generation timed out' },
          });
        } else {
          // The trade-off of the ai-sdk dialect: the original's subscriber does not know tool-output-error.
          expect(types(bad)).toEqual(['start', 'tool-input-available', 'dropped', 'finish']);
          expect(bad.events[2]).toMatchObject({ dropped: expect.stringContaining('tool-output-error') });
        }
        await waitFor(async () => (await redis.xpending(stream, 'chat_consumers'))[0] === 0);
        expect((await original<OriginalTask>(side, 'get-task', { task_id: 'bad' })).status).toBe('failed');
      });
    },
  );
});

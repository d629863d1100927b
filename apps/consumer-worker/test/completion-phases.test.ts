import { RetryableError } from '@chat/completion-consumer';
import { createPublisher } from '@chat/completion-publisher';
import { createStreamRegistry } from '@chat/stream-registry';
import { waitFor } from '@chat/testing';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import type { CompletionHookRegistry } from '../src/completion-hooks.js';
import { allAcked, isolatedEnv, readChunks } from './helpers.js';
import { inProcessWorker } from './in-process-worker.js';

/** What the hooks saw, by task id. */
const seen = {
  transformed: [] as unknown[],
  persisted: new Map<string, string[]>(),
  failures: new Map<string, string>(),
  statusDuringPersist: new Map<string, string | null>(),
  continued: [] as string[],
};

describe('a completion in phases (in process, compat layout, original chunk dialect)', () => {
  const url = inject('redisUrl');
  const redis = new Redis(url);
  const { env, stream, keyPrefix } = isolatedEnv(url, 'phases', { MAX_DELIVERIES: '3' });
  const registry = createStreamRegistry({ redis, keyPrefix });
  const publisher = createPublisher({ redis, stream });
  let transientLeft = 1;

  const hooks: CompletionHookRegistry = {
    default: {
      async persist({ task, output }) {
        seen.statusDuringPersist.set(
          task.taskId,
          await redis.hget(registry.keys.meta(task.taskId), 'status'),
        );
        if (task.toolName === 'flaky_store' && transientLeft-- > 0) {
          throw new RetryableError('chat history briefly unavailable', { reason: 'db_unavailable' });
        }
        if (task.toolName === 'broken_store') throw new Error('chat history is down');
        seen.persisted.set(task.taskId, [...(seen.persisted.get(task.taskId) ?? []), output]);
      },
      async failure({ task, error }) {
        seen.failures.set(task.taskId, error);
        throw new Error('chat history is down');
      },
      async continue({ task, writer }) {
        seen.continued.push(task.taskId);
        const id = `text-${task.taskId}`;
        await writer.write({ type: 'start', messageId: `msg-${task.taskId}` });
        await writer.write({ type: 'start-step' });
        await writer.write({ type: 'text-start', id });
        await writer.write({ type: 'text-delta', id, delta: 'Your agent ' });
        if (task.toolName === 'broken_model') throw new Error('model unavailable');
        await writer.write({ type: 'text-delta', id, delta: 'is ready.' });
        await writer.write({ type: 'text-end', id });
        await writer.write({ type: 'finish-step' });
      },
    },
    tools: {
      create_agent: {
        async transform({ result }) {
          seen.transformed.push(result);
          const agent = (result as { agent_json: { name: string } }).agent_json;
          return {
            success: true,
            result: { type: 'agent_saved', message: `Saved ${agent.name}`, agent_id: 'agent-1' },
          };
        },
      },
      refused_agent: {
        async transform() {
          return { success: false, error: 'Agent was generated but failed validation' };
        },
      },
    },
  };

  inProcessWorker(env, redis, hooks, [publisher, registry]);

  /** Registers a task the way the Python original does: its hash fields, its operation key and the marker. */
  async function pythonTask(id: string, toolName: string) {
    await redis.hset(registry.keys.meta(id), {
      task_id: id,
      session_id: `s-${id}`,
      user_id: 'u-1',
      tool_call_id: `call-${id}`,
      tool_name: toolName,
      operation_id: `op-${id}`,
      status: 'running',
      created_at: '2026-12-01T10:00:00.123456+00:00',
    });
    await redis.expire(registry.keys.meta(id), 600);
    await redis.set(registry.keys.operation(`op-${id}`), id, 'EX', 600);
    await redis.set(registry.keys.runningOperation(`call-${id}`), id, 'EX', 600);
  }

  const chunks = (id: string) => readChunks(redis, registry, id);

  const acked = (lastId: string) => allAcked(redis, stream, lastId);

  async function finished(id: string) {
    await waitFor(
      async () => (await registry.getTask(id))?.status !== 'running',
      15_000,
      `task ${id} finished`,
    );
    return registry.getTask(id);
  }

  it('a Python-registered task ends as the original ends it: transformed output, continuation, finish, marker gone', async () => {
    await pythonTask('py', 'create_agent');
    await publisher.publish({
      operation_id: 'op-py',
      task_id: 'py',
      success: true,
      result: { agent_json: { name: 'Helper', api_key: 'sk-secret' } },
    });
    expect(await finished('py')).toMatchObject({ status: 'completed' });
    const output = JSON.stringify({ type: 'agent_saved', message: 'Saved Helper', agent_id: 'agent-1' });
    expect(await chunks('py')).toEqual([
      {
        type: 'tool-output-available',
        toolCallId: 'call-py',
        toolName: 'create_agent',
        output,
        success: true,
      },
      { type: 'start', messageId: 'msg-py' },
      { type: 'start-step' },
      { type: 'text-start', id: 'text-py' },
      { type: 'text-delta', id: 'text-py', delta: 'Your agent ' },
      { type: 'text-delta', id: 'text-py', delta: 'is ready.' },
      { type: 'text-end', id: 'text-py' },
      { type: 'finish-step' },
      { type: 'finish' },
    ]);
    // transform saw the unredacted result; persist stored the transformed output while the task read running.
    expect(seen.transformed).toEqual([{ agent_json: { name: 'Helper', api_key: 'sk-secret' } }]);
    expect(seen.persisted.get('py')).toEqual([output]);
    expect(seen.statusDuringPersist.get('py')).toBe('running');
    expect(await redis.exists(registry.keys.runningOperation('call-py'))).toBe(0);
    expect(await redis.hget(registry.keys.meta('py'), 'created_at')).toBe('2026-12-01T10:00:00.123456+00:00');
  });

  it('a persist failure fails a success and not a failure; a transform can turn success into failure', async () => {
    await pythonTask('store-down', 'broken_store');
    await pythonTask('op-failed', 'run_block');
    await pythonTask('refused', 'refused_agent');
    await publisher.publish({
      operation_id: 'op-store-down',
      task_id: 'store-down',
      success: true,
      result: 'ok',
    });
    await publisher.publish({
      operation_id: 'op-op-failed',
      task_id: 'op-failed',
      success: false,
      error: 'boom',
    });
    await publisher.publish({ operation_id: 'op-refused', task_id: 'refused', success: true, result: {} });

    expect(await finished('store-down')).toMatchObject({
      status: 'failed',
      error: 'Failed to save operation result to database',
    });
    expect(await chunks('store-down')).toEqual([
      {
        type: 'tool-output-available',
        toolCallId: 'call-store-down',
        toolName: 'broken_store',
        output: 'ok',
        success: true,
      },
      { type: 'error', errorText: 'Failed to save operation result to database' },
      { type: 'finish' },
    ]);
    // The failure path carries on when storing the error response fails.
    expect(await finished('op-failed')).toMatchObject({ status: 'failed', error: 'boom' });
    expect(seen.failures.get('op-failed')).toBe('boom');
    expect(await chunks('op-failed')).toEqual([{ type: 'error', errorText: 'boom' }, { type: 'finish' }]);
    expect(await redis.exists(registry.keys.runningOperation('call-op-failed'))).toBe(0);

    expect(await finished('refused')).toMatchObject({ status: 'failed' });
    expect(await chunks('refused')).toEqual([
      { type: 'error', errorText: 'Agent was generated but failed validation' },
      { type: 'finish' },
    ]);
    expect(seen.continued).not.toContain('store-down');
    expect(seen.continued).not.toContain('op-failed');
    expect(seen.continued).not.toContain('refused');
  });

  it('a transient persist error retries the message without settling twice', async () => {
    await pythonTask('flaky', 'flaky_store');
    await publisher.publish({ operation_id: 'op-flaky', task_id: 'flaky', success: true, result: 'done' });
    expect(await finished('flaky')).toMatchObject({ status: 'completed' });
    const types = (await chunks('flaky')).map((chunk) => chunk.type);
    expect(types.filter((type) => type === 'tool-output-available')).toHaveLength(1);
    expect(types.filter((type) => type === 'finish')).toHaveLength(1);
    expect(types.at(-1)).toBe('finish');
    expect(seen.persisted.get('flaky')).toEqual(['done']);
    expect(transientLeft).toBeLessThan(0);
  });

  it('two deliveries of one completion at once: the second waits for the first owner, then changes nothing', async () => {
    await pythonTask('twice', 'run_block');
    const data = JSON.stringify({
      operation_id: 'op-twice',
      task_id: 'twice',
      success: true,
      result: 'once',
    });
    // A producer without the publisher's idempotency (the Python original) sends the same completion twice.
    const ids = await Promise.all([
      redis.xadd(stream, '*', 'data', data),
      redis.xadd(stream, '*', 'data', data),
    ]);
    expect(await finished('twice')).toMatchObject({ status: 'completed' });
    await waitFor(() => acked(ids.sort().at(-1) as string), 15_000, 'both deliveries acked');
    const types = (await chunks('twice')).map((chunk) => chunk.type);
    expect(types.filter((type) => type === 'tool-output-available')).toHaveLength(1);
    expect(types.filter((type) => type === 'finish')).toHaveLength(1);
    expect(seen.continued.filter((id) => id === 'twice')).toHaveLength(1);
  });

  it('a failing continuation ends with the error chunk, its open parts closed, and the task completed', async () => {
    await pythonTask('model-down', 'broken_model');
    await publisher.publish({
      operation_id: 'op-model-down',
      task_id: 'model-down',
      success: true,
      result: 'x',
    });
    expect(await finished('model-down')).toMatchObject({ status: 'completed' });
    expect((await chunks('model-down')).slice(1)).toEqual([
      { type: 'start', messageId: 'msg-model-down' },
      { type: 'start-step' },
      { type: 'text-start', id: 'text-model-down' },
      { type: 'text-delta', id: 'text-model-down', delta: 'Your agent ' },
      { type: 'error', errorText: 'Failed to generate response: model unavailable' },
      { type: 'text-end', id: 'text-model-down' },
      { type: 'finish-step' },
      { type: 'finish' },
    ]);
    // A redelivery of the finished task changes nothing.
    const again = await publisher.publish({
      operation_id: 'op-model-down-2',
      task_id: 'model-down',
      success: true,
      result: 'y',
    });
    await waitFor(() => acked(again), 15_000, 'the duplicate acked');
    expect(await chunks('model-down')).toHaveLength(9);
  });
});

import { createPublisher } from '@chat/completion-publisher';
import { createStreamRegistry } from '@chat/stream-registry';
import { waitFor } from '@chat/testing';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import type { CompletionHookRegistry } from '../src/completion-hooks.js';
import { allAcked, isolatedEnv, readChunks } from './helpers.js';
import { inProcessWorker } from './in-process-worker.js';

/**
 * A tool without persist, failure or continue hooks is settled and finished by one script (the fast path); a tool
 * with a hook after the settle keeps the phases. The hash tells them apart: only a phased step records
 * `completion_step`.
 */
describe('the one-script completion of a tool without hooks after the settle (compat layout)', () => {
  const url = inject('redisUrl');
  const redis = new Redis(url);
  const { env, stream, keyPrefix } = isolatedEnv(url, 'fastpath');
  const registry = createStreamRegistry({ redis, keyPrefix });
  const publisher = createPublisher({ redis, stream });
  const continued: string[] = [];
  const hooks: CompletionHookRegistry = {
    tools: {
      // transform runs before the settle, so it does not need the phases.
      renamed_agent: { transform: async () => ({ success: true, result: 'renamed' }) },
      chatty_agent: {
        async continue({ task, writer }) {
          continued.push(task.taskId);
          await writer.write({ type: 'start-step' });
          await writer.write({ type: 'finish-step' });
        },
      },
    },
  };
  inProcessWorker(env, redis, hooks, [publisher, registry]);

  async function task(id: string, toolName: string) {
    await registry.createTask({
      taskId: id,
      sessionId: `s-${id}`,
      userId: 'u-1',
      toolCallId: `call-${id}`,
      toolName,
      operationId: `op-${id}`,
    });
    // The Python original's running-operation marker, which the completion clears.
    await redis.set(registry.keys.runningOperation(`call-${id}`), id, 'EX', 600);
  }

  const types = async (id: string) => (await readChunks(redis, registry, id)).map((chunk) => chunk.type);
  const hash = (id: string) => redis.hgetall(registry.keys.meta(id));

  const acked = (lastId: string) => allAcked(redis, stream, lastId);

  async function finished(id: string) {
    await waitFor(async () => (await hash(id)).status !== 'running', 15_000, `task ${id} finished`);
    return hash(id);
  }

  it('settles and finishes in one step, clears the marker, and a redelivery changes nothing', async () => {
    await task('plain', 'run_block');
    await task('renamed', 'renamed_agent');
    const data = JSON.stringify({
      operation_id: 'op-plain',
      task_id: 'plain',
      success: true,
      result: 'once',
    });
    await redis.xadd(stream, '*', 'data', data);
    await publisher.publish({ operation_id: 'op-renamed', task_id: 'renamed', success: true, result: 'x' });
    for (const id of ['plain', 'renamed']) {
      const done = await finished(id);
      expect(done).toMatchObject({ status: 'completed', completion_phase: 'finished' });
      expect(done.completion_step).toBeUndefined();
      expect(done.completion_owner).toBeUndefined();
      expect(await types(id)).toEqual(['tool-output-available', 'finish']);
      expect(await redis.exists(registry.keys.runningOperation(`call-${id}`))).toBe(0);
    }
    expect((await hash('plain')).result).toBe('once');
    expect((await hash('renamed')).result).toBe('renamed');

    // The same completion again (a producer without idempotency): acked, nothing appended or changed.
    const before = await hash('plain');
    const again = await redis.xadd(stream, '*', 'data', data.replace('once', 'twice'));
    await waitFor(() => acked(again as string), 15_000, 'the redelivery acked');
    expect(await types('plain')).toEqual(['tool-output-available', 'finish']);
    expect(await hash('plain')).toEqual(before);
  });

  it('a failure takes the same step and ends failed with its error', async () => {
    await task('broken', 'run_block');
    await publisher.publish({ operation_id: 'op-broken', task_id: 'broken', success: false, error: 'boom' });
    expect(await finished('broken')).toMatchObject({ status: 'failed', error: 'boom' });
    expect(await types('broken')).toEqual(['error', 'finish']);
  });

  it('a tool with a continue hook keeps the phases', async () => {
    await task('chatty', 'chatty_agent');
    await publisher.publish({ operation_id: 'op-chatty', task_id: 'chatty', success: true, result: 'x' });
    const done = await finished('chatty');
    expect(done).toMatchObject({ status: 'completed', completion_phase: 'finished' });
    expect(done.completion_step).toEqual(expect.any(String));
    expect(continued).toEqual(['chatty']);
    expect(await types('chatty')).toEqual(['tool-output-available', 'start-step', 'finish-step', 'finish']);
    expect(await redis.exists(registry.keys.runningOperation('call-chatty'))).toBe(0);
  });

  it('a task an earlier owner settled is resumed through the phases and finished once', async () => {
    await task('orphan', 'run_block');
    // A phased owner settled it and gave it up (what a crashed worker's lease running out leaves).
    const settled = await registry.settleTask('orphan', {
      status: 'completed',
      toolCallId: 'call-orphan',
      chunk: { type: 'tool-output-available', toolCallId: 'call-orphan', output: 'first' },
      result: 'first',
    });
    if (settled.state !== 'settled') throw new Error(`expected settled, got ${settled.state}`);
    await settled.completion.release();
    await publisher.publish({
      operation_id: 'op-orphan',
      task_id: 'orphan',
      success: true,
      result: 'second',
    });
    expect(await finished('orphan')).toMatchObject({ status: 'completed', result: 'first' });
    expect(await types('orphan')).toEqual(['tool-output-available', 'finish']);
  });
});

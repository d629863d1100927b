import { afterAll, describe, expect, it } from 'vitest';
import {
  NotOwnerError,
  type SettleOutcome,
  type SettleTaskInput,
  type StreamRegistry,
  TaskNotRunningError,
  type UIMessageChunk,
} from '../src/index.js';
import { runScript } from '../src/scripts.js';
import { makeRegistry, newTask, waitFor } from './helpers.js';

async function chunksOf(t: { redis: import('ioredis').Redis; registry: StreamRegistry }, taskId: string) {
  const entries = (await t.redis.xrange(t.registry.keys.stream(taskId), '-', '+')) as [string, string[]][];
  return entries.map(([, fields]) => JSON.parse(fields[1] as string) as UIMessageChunk);
}

function settleInput(toolCallId: string, output = '{"ok":true}'): SettleTaskInput {
  return {
    status: 'completed',
    toolCallId,
    chunk: { type: 'tool-output-available', toolCallId, output },
    result: output,
  };
}

function owned(outcome: SettleOutcome) {
  if (outcome.state !== 'settled' && outcome.state !== 'resumed') {
    throw new Error(`expected a completion, got ${outcome.state}`);
  }
  return outcome.completion;
}

describe.each(['compat', 'cluster'] as const)('phased completion (%s layout)', (layout) => {
  const t = makeRegistry(layout, { ttlSeconds: 300, completionLeaseMs: 300 });
  afterAll(() => t.close());

  it('settle appends the tool chunk once, keeps the task running, clears the marker; finish comes last', async () => {
    const task = await newTask(t.registry);
    const marker = t.registry.keys.runningOperation(task.toolCallId);
    await t.redis.set(marker, task.taskId);
    const completion = owned(await t.registry.settleTask(task.taskId, settleInput(task.toolCallId)));
    expect(completion.phase).toBe('settled');
    expect(await t.redis.exists(marker)).toBe(0);
    // What the Python original reads: still running; the bookkeeping sits in fields it ignores.
    const hash = await t.redis.hgetall(t.registry.keys.meta(task.taskId));
    expect(hash).toMatchObject({ status: 'running', completion_phase: 'settled', result: '{"ok":true}' });
    expect(hash.completion_owner).toBe(completion.owner);
    // A second delivery while the owner's lease is live changes nothing.
    expect((await t.registry.settleTask(task.taskId, settleInput(task.toolCallId))).state).toBe('busy');
    await completion.markPersisted();
    await completion.write({ type: 'start-step' });
    await completion.write({ type: 'text-start', id: 't1' });
    await completion.write({ type: 'text-delta', id: 't1', delta: 'Done.' });
    await expect(completion.write({ type: 'finish' })).rejects.toMatchObject({ code: 'invalid_chunk' });
    await expect(
      completion.write({ type: 'text-delta', id: 't1' } as unknown as UIMessageChunk),
    ).rejects.toMatchObject({ code: 'invalid_chunk' });
    expect((await t.redis.hgetall(t.registry.keys.meta(task.taskId))).completion_phase).toBe('continuing');
    expect(
      await completion.finish({ chunks: [{ type: 'text-end', id: 't1' }, { type: 'finish-step' }] }),
    ).toBe('completed');
    expect((await chunksOf(t, task.taskId)).map((chunk) => chunk.type)).toEqual([
      'tool-output-available',
      'start-step',
      'text-start',
      'text-delta',
      'text-end',
      'finish-step',
      'finish',
    ]);
    const done = await t.registry.getTask(task.taskId);
    expect(done).toMatchObject({ status: 'completed', result: '{"ok":true}' });
    expect(done?.completedAt).toMatch(/^\d{4}-/);
    // A redelivery after the finish: nothing appended, and the finished owner cannot write either.
    expect(await t.registry.settleTask(task.taskId, settleInput(task.toolCallId))).toEqual({
      state: 'finished',
      status: 'completed',
    });
    await expect(completion.write({ type: 'start-step' })).rejects.toSatisfy(TaskNotRunningError.isInstance);
    expect(await chunksOf(t, task.taskId)).toHaveLength(7);
    // The one-step completion leaves a phased task alone.
    expect(await t.registry.completeTask(task.taskId, { status: 'failed', chunks: [] })).toBe(false);
  });

  it('a writer whose lease ran out is fenced off once another worker took the completion over', async () => {
    const task = await newTask(t.registry);
    const first = owned(await t.registry.settleTask(task.taskId, settleInput(task.toolCallId)));
    await first.markPersisted();
    await first.write({ type: 'start-step' });
    const outcome = await waitFor(
      async () => {
        const next = await t.registry.settleTask(task.taskId, settleInput(task.toolCallId, 'other'));
        return next.state !== 'busy' && next;
      },
      10_000,
      'the first owner lease to run out',
    );
    expect(outcome.state).toBe('resumed');
    const second = owned(outcome);
    // The takeover carries the settled outcome and where the dead owner stopped, not the new input.
    expect(second).toMatchObject({ phase: 'continuing', status: 'completed', result: '{"ok":true}' });
    expect(second.owner).not.toBe(first.owner);
    expect(await second.readContinuation()).toEqual([{ type: 'start-step' }]);
    await expect(first.write({ type: 'text-start', id: 'late' })).rejects.toSatisfy(NotOwnerError.isInstance);
    await expect(first.finish()).rejects.toMatchObject({ code: 'not_owner' });
    await expect(first.markPersisted()).rejects.toMatchObject({ code: 'not_owner' });
    await second.finish({ chunks: [{ type: 'finish-step' }] });
    const types = (await chunksOf(t, task.taskId)).map((chunk) => chunk.type);
    expect(types).toEqual(['tool-output-available', 'start-step', 'finish-step', 'finish']);
  });

  it('a failure settles with its chunk and finish can override the status and store an error', async () => {
    const task = await newTask(t.registry);
    const completion = owned(
      await t.registry.settleTask(task.taskId, {
        status: 'failed',
        toolCallId: task.toolCallId,
        chunk: { type: 'error', errorText: 'boom' },
        error: 'boom',
      }),
    );
    expect(completion.status).toBe('failed');
    await completion.finish();
    expect(await t.registry.getTask(task.taskId)).toMatchObject({ status: 'failed', error: 'boom' });

    const other = await newTask(t.registry);
    const settled = owned(await t.registry.settleTask(other.taskId, settleInput(other.toolCallId)));
    const errorText = 'Failed to save operation result to database';
    expect(
      await settled.finish({ status: 'failed', error: errorText, chunks: [{ type: 'error', errorText }] }),
    ).toBe('failed');
    expect(await t.registry.getTask(other.taskId)).toMatchObject({ status: 'failed', error: errorText });
    expect((await chunksOf(t, other.taskId)).map((chunk) => chunk.type)).toEqual([
      'tool-output-available',
      'error',
      'finish',
    ]);
  });

  it('a step or a settle the client re-sends after a lost reply runs once', async () => {
    const task = await newTask(t.registry);
    const completion = owned(await t.registry.settleTask(task.taskId, settleInput(task.toolCallId)));
    await completion.write({ type: 'text-start', id: 'a' });
    // What ioredis does after a reconnect: the same command again, here the same step number of the same owner.
    Reflect.set(completion, 'steps', Reflect.get(completion, 'steps') - 1);
    await completion.write({ type: 'text-start', id: 'a' });
    await completion.finish();
    Reflect.set(completion, 'steps', Reflect.get(completion, 'steps') - 1);
    expect(await completion.finish()).toBe('completed');
    expect((await chunksOf(t, task.taskId)).map((chunk) => chunk.type)).toEqual([
      'tool-output-available',
      'text-start',
      'finish',
    ]);

    // The settle script run twice with one owner token: the second run resumes, appending nothing.
    const other = await newTask(t.registry);
    const keys = [t.registry.keys.meta(other.taskId), t.registry.keys.stream(other.taskId)] as const;
    const chunk = JSON.stringify({
      type: 'tool-output-available',
      toolCallId: other.toolCallId,
      output: 'x',
    });
    const args = ['owner-1', 60_000, 'completed', chunk, '1', 'x', '0', '', 300, 10_000, '0', '', ''];
    const marker = t.registry.keys.runningOperation(other.toolCallId);
    const run = async () =>
      layout === 'compat'
        ? ((await runScript(t.redis, 'settle-tasks-n', [...keys, marker], args)) as string[][])[0]
        : ((await runScript(t.redis, 'settle-task-cluster-2', keys, args)) as string[]);
    expect((await run())?.[0]).toBe('settled');
    expect((await run())?.[0]).toBe('resumed');
    expect(await chunksOf(t, other.taskId)).toHaveLength(1);
  });

  it('settle with finish: one script settles and finishes; a redelivery changes nothing; a settled task resumes', async () => {
    const task = await newTask(t.registry);
    const marker = t.registry.keys.runningOperation(task.toolCallId);
    await t.redis.set(marker, task.taskId);
    const outcome = await t.registry.settleTask(task.taskId, {
      ...settleInput(task.toolCallId),
      finish: true,
    });
    expect(outcome).toMatchObject({ state: 'settled_finished', status: 'completed' });
    expect(await t.redis.exists(marker)).toBe(0);
    const hash = await t.redis.hgetall(t.registry.keys.meta(task.taskId));
    expect(hash).toMatchObject({ status: 'completed', completion_phase: 'finished', result: '{"ok":true}' });
    expect(hash.completed_at).toMatch(/^\d{4}-/);
    // Nothing left to own: no owner or lease stays behind.
    expect(hash.completion_owner).toBeUndefined();
    expect(hash.completion_owner_until).toBeUndefined();
    const entries = (await t.redis.xrange(t.registry.keys.stream(task.taskId), '-', '+')) as [
      string,
      string[],
    ][];
    expect(entries.map(([id]) => id)).toEqual([
      (outcome as { toolEntryId: string }).toolEntryId,
      (outcome as { finishEntryId: string }).finishEntryId,
    ]);
    expect((await chunksOf(t, task.taskId)).map((chunk) => chunk.type)).toEqual([
      'tool-output-available',
      'finish',
    ]);
    // A redelivery (with or without finish) appends nothing.
    for (const finish of [true, false]) {
      expect(
        await t.registry.settleTask(task.taskId, { ...settleInput(task.toolCallId, 'again'), finish }),
      ).toEqual({
        state: 'finished',
        status: 'completed',
      });
    }
    expect(await chunksOf(t, task.taskId)).toHaveLength(2);
    expect((await t.registry.getTask(task.taskId))?.result).toBe('{"ok":true}');

    // A task an earlier owner settled (phased) is taken over, not finished: the caller resumes it.
    const other = await newTask(t.registry);
    const first = owned(await t.registry.settleTask(other.taskId, settleInput(other.toolCallId)));
    await first.release();
    const resumed = await t.registry.settleTask(other.taskId, {
      ...settleInput(other.toolCallId, 'x'),
      finish: true,
    });
    expect(resumed.state).toBe('resumed');
    expect((await t.registry.getTask(other.taskId))?.status).toBe('running');
    expect(await chunksOf(t, other.taskId)).toHaveLength(1);
  });

  it('refuses a missing task', async () => {
    expect(await t.registry.settleTask('no-such-task', settleInput('c'))).toEqual({ state: 'not_found' });
  });
});

import { commandCalls } from '@chat/testing';
import { ownRedisServer } from '@chat/testing/suite';
import { ReplyError } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActiveTask, type SettleTaskInput, StreamRegistry } from '../src/index.js';
import { runScript } from '../src/scripts.js';
import { newTask } from './helpers.js';

function finishing(task: ActiveTask, output: string): SettleTaskInput {
  return {
    status: 'completed',
    toolCallId: task.toolCallId,
    chunk: { type: 'tool-output-available', toolCallId: task.toolCallId, output },
    result: output,
    finish: true,
  };
}

// Its own redis-server: INFO commandstats counts every client.
describe('completions asked for together share one script (compat layout)', () => {
  const own = ownRedisServer();
  let registry: StreamRegistry;
  beforeAll(async () => {
    registry = new StreamRegistry({ redis: own.redis });
    // Load the scripts once, so the counts below are the steady state (EVALSHA only).
    const warm = await newTask(registry);
    await registry.findTaskForCompletion(warm.operationId as string, warm.taskId);
    await registry.settleTask(warm.taskId, finishing(warm, 'warm'));
  });
  afterAll(() => registry.close());

  it('lookups and settles of one turn are one EVALSHA each, and each caller gets its own task and outcome', async () => {
    const tasks = await Promise.all(Array.from({ length: 40 }, () => newTask(registry)));
    await own.probe.config('RESETSTAT');
    const found = await Promise.all(
      tasks.map((task) => registry.findTaskForCompletion(task.operationId as string, task.taskId)),
    );
    const lookups = await commandCalls(own.probe);
    expect(found.map((task) => task?.taskId)).toEqual(tasks.map((task) => task.taskId));
    expect(lookups).toEqual({ evalsha: 1, get: 40, hgetall: 40 });

    await own.probe.config('RESETSTAT');
    const outcomes = await Promise.all(
      tasks.map((task, i) => registry.settleTask(task.taskId, finishing(task, `out-${i}`))),
    );
    const settles = await commandCalls(own.probe);
    expect(settles.evalsha).toBe(1);
    expect(settles.xadd).toBe(80);
    expect(outcomes.map((outcome) => outcome.state)).toEqual(tasks.map(() => 'settled_finished'));
    for (const [i, task] of tasks.entries()) {
      expect(await registry.getTask(task.taskId)).toMatchObject({ status: 'completed', result: `out-${i}` });
    }
    // Settled once: the same settles again, together, find every task finished and append nothing.
    const again = await Promise.all(
      tasks.map((task) => registry.settleTask(task.taskId, finishing(task, 'again'))),
    );
    expect(again.map((outcome) => outcome.state)).toEqual(tasks.map(() => 'finished'));
    expect(await own.redis.xlen(registry.keys.stream(tasks[0]!.taskId))).toBe(2);
  });

  it('more than a batch holds makes more scripts; a lookup whose operation maps to another task still finds that one', async () => {
    const tasks = await Promise.all(Array.from({ length: 70 }, () => newTask(registry)));
    const other = await newTask(registry);
    // The operation of the first task now names another task: the original looks up by operation id first.
    await own.redis.set(registry.keys.operation(tasks[0]!.operationId as string), other.taskId);
    await own.probe.config('RESETSTAT');
    const found = await Promise.all(
      tasks.map((task) => registry.findTaskForCompletion(task.operationId as string, task.taskId)),
    );
    const calls = await commandCalls(own.probe);
    expect(calls.evalsha).toBe(2);
    expect(calls.hgetall).toBe(71);
    expect(found[0]?.taskId).toBe(other.taskId);
    expect(found.slice(1).map((task) => task?.taskId)).toEqual(tasks.slice(1).map((task) => task.taskId));
  });

  it('one task failing in the script fails only its own settle', async () => {
    const tasks = await Promise.all(Array.from({ length: 5 }, () => newTask(registry)));
    const broken = tasks[2]!;
    // A key of the wrong type where the task's chunk stream belongs: its XADD fails inside the batch.
    await own.redis.set(registry.keys.stream(broken.taskId), 'not a stream');
    const settled = await Promise.allSettled(
      tasks.map((task) => registry.settleTask(task.taskId, finishing(task, 'x'))),
    );
    expect(settled.map((s) => s.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    const reason = (settled[2] as PromiseRejectedResult).reason;
    expect(reason).toBeInstanceOf(ReplyError);
    expect(String(reason.message)).toMatch(/WRONGTYPE/);
    expect(await registry.getTask(broken.taskId)).toMatchObject({ status: 'running' });
    for (const task of [tasks[0]!, tasks[1]!, tasks[3]!, tasks[4]!]) {
      expect(await registry.getTask(task.taskId)).toMatchObject({ status: 'completed' });
    }
    // Once the key is fixed, the redelivery settles it.
    await own.redis.del(registry.keys.stream(broken.taskId));
    expect(await registry.settleTask(broken.taskId, finishing(broken, 'x'))).toMatchObject({
      state: 'settled_finished',
    });
  });

  it('a settle-and-finish the client re-sends after a lost reply answers the same again and appends nothing', async () => {
    const [task, other] = await Promise.all([newTask(registry), newTask(registry)]);
    const keysOf = (t: ActiveTask) => [
      registry.keys.meta(t.taskId),
      registry.keys.stream(t.taskId),
      registry.keys.runningOperation(t.toolCallId),
    ];
    const argsOf = (t: ActiveTask, owner: string) => [
      owner,
      60_000,
      'completed',
      JSON.stringify({ type: 'tool-output-available', toolCallId: t.toolCallId, output: 'x' }),
      '1',
      'x',
      '0',
      '',
      300,
      10_000,
      '1',
      new Date().toISOString(),
      '{"type":"finish"}',
    ];
    // What ioredis does after a reconnect: the same command again, the same owner token in it.
    const batch = (owner: string) =>
      runScript(
        own.redis,
        'settle-tasks-n',
        [...keysOf(task), ...keysOf(other)],
        [...argsOf(task, `${owner}-a`), ...argsOf(other, `${owner}-b`)],
      ) as Promise<(string | null)[][]>;
    const first = await batch('call-1');
    expect(first.map((reply) => reply[0])).toEqual(['settled_finished', 'settled_finished']);
    expect(await batch('call-1')).toEqual(first);
    // Another call (a redelivery, with its own tokens) finds both finished.
    expect((await batch('call-2')).map((reply) => reply[0])).toEqual(['finished', 'finished']);
    expect(await own.redis.xlen(registry.keys.stream(task.taskId))).toBe(2);
    expect(await own.redis.xlen(registry.keys.stream(other.taskId))).toBe(2);
  });

  it('one lookup failing in the script fails only its own call', async () => {
    const tasks = await Promise.all(Array.from({ length: 4 }, () => newTask(registry)));
    const broken = tasks[1]!;
    // The operation key of one completion holds a hash instead of a task id: its GET fails inside the batch.
    const operationKey = registry.keys.operation(broken.operationId as string);
    await own.redis.del(operationKey);
    await own.redis.hset(operationKey, 'not', 'a string');
    const found = await Promise.allSettled(
      tasks.map((task) => registry.findTaskForCompletion(task.operationId as string, task.taskId)),
    );
    expect(found.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(String((found[1] as PromiseRejectedResult).reason.message)).toMatch(/WRONGTYPE/);
    expect((found[0] as PromiseFulfilledResult<ActiveTask | null>).value?.taskId).toBe(tasks[0]!.taskId);
  });
});

describe('lookups and settles asked for just before close() (a registry that owns its connection)', () => {
  const own = ownRedisServer();

  it('go out ahead of QUIT and get their answers', async () => {
    const setup = new StreamRegistry({ redis: own.redis });
    const [task, warm] = await Promise.all([newTask(setup), newTask(setup)]);
    const registry = new StreamRegistry({ url: own.server.url });
    // Scripts loaded, so the calls below are one EVALSHA each and nothing else is in flight.
    await registry.settleTask(warm.taskId, finishing(warm, 'warm'));
    await registry.findTaskForCompletion(warm.operationId as string, warm.taskId);
    const found = registry.findTaskForCompletion(task.operationId as string, task.taskId);
    const settled = registry.settleTask(task.taskId, finishing(task, 'last'));
    const closed = registry.close();
    expect((await found)?.taskId).toBe(task.taskId);
    expect(await settled).toMatchObject({ state: 'settled_finished' });
    await closed;
    expect(await setup.getTask(task.taskId)).toMatchObject({ status: 'completed', result: 'last' });
    await setup.close();
  });
});

import { hashTagOf } from '@chat/completion-schema/internal';
import { afterAll, describe, expect, it } from 'vitest';
import { StreamRegistry, StreamRegistryError } from '../src/index.js';
import { taskKeys } from '../src/internal.js';
import { makeRegistry, newTask } from './helpers.js';

describe.each(['compat', 'cluster'] as const)('task model (%s layout)', (layout) => {
  const t = makeRegistry(layout, { ttlSeconds: 120 });
  afterAll(() => t.close());

  it('createTask writes the hash, the operation mapping and the session index with the TTL', async () => {
    const task = await newTask(t.registry);
    expect(await t.registry.getTask(task.taskId)).toEqual(task);
    expect(await t.registry.findTaskByOperationId(task.operationId)).toEqual(task);
    const keys = [
      t.registry.keys.meta(task.taskId),
      t.registry.keys.operation(task.operationId),
      t.registry.keys.session(task.sessionId),
    ];
    for (const key of keys) {
      const ttl = await t.redis.ttl(key);
      expect(ttl).toBeGreaterThan(100);
      expect(ttl).toBeLessThanOrEqual(120);
    }
    // The hash is the Python original's, field for field.
    expect(await t.redis.hgetall(keys[0] as string)).toEqual({
      task_id: task.taskId,
      session_id: task.sessionId,
      user_id: 'user-1',
      tool_call_id: task.toolCallId,
      tool_name: 'create_agent',
      operation_id: task.operationId,
      status: 'running',
      created_at: task.createdAt,
    });
  });

  it('stores an anonymous task with user_id "" and reads it back as null', async () => {
    const task = await newTask(t.registry, { userId: null });
    expect(task.userId).toBeNull();
    expect(await t.redis.hget(t.registry.keys.meta(task.taskId), 'user_id')).toBe('');
    expect((await t.registry.getTask(task.taskId))?.userId).toBeNull();
  });

  it('refuses a duplicate task id and bad input, writing nothing', async () => {
    const task = await newTask(t.registry);
    const again = t.registry.createTask({ ...task, operationId: 'op-other' });
    await expect(again).rejects.toMatchObject({ code: 'task_exists' });
    expect(await t.registry.findTaskByOperationId('op-other')).toBeNull();
    const bad = t.registry.createTask({ ...task, taskId: '' });
    await expect(bad).rejects.toSatisfy(
      (e) => StreamRegistryError.isInstance(e) && e.code === 'invalid_input',
    );
  });

  it('getTaskWithExpiryInfo tells found, expired (chunks left, hash gone) and not found apart', async () => {
    const task = await newTask(t.registry);
    expect(await t.registry.getTaskWithExpiryInfo(task.taskId)).toEqual({ state: 'found', task });
    await t.registry.publishChunk(task.taskId, { type: 'start' });
    await t.redis.del(t.registry.keys.meta(task.taskId));
    expect(await t.registry.getTaskWithExpiryInfo(task.taskId)).toEqual({
      state: 'expired',
      taskId: task.taskId,
    });
    expect(await t.registry.getTaskWithExpiryInfo('nope')).toEqual({ state: 'not_found', taskId: 'nope' });
    expect(await t.registry.getTask('nope')).toBeNull();
    expect(await t.registry.findTaskByOperationId('nope')).toBeNull();
  });

  it('findTaskForCompletion: by operation id first, else by task id, as the original looks them up', async () => {
    const a = await newTask(t.registry);
    const b = await newTask(t.registry);
    const find = (op: string, id: string) => t.registry.findTaskForCompletion(op, id);
    expect(await find(a.operationId, a.taskId)).toEqual(a);
    // The operation wins when the message names another task.
    expect(await find(a.operationId, b.taskId)).toEqual(a);
    // An unknown operation falls back to the task id; unknown both → null.
    expect(await find('op-unknown', b.taskId)).toEqual(b);
    expect(await find('op-unknown', 'task-unknown')).toBeNull();
    // An operation whose task hash is gone falls back to the message's task id.
    await t.redis.del(t.registry.keys.meta(a.taskId));
    expect(await find(a.operationId, b.taskId)).toEqual(b);
    expect(await find(a.operationId, a.taskId)).toBeNull();
    expect(await find('', '')).toBeNull();
  });

  it('getActiveTaskForSession finds the newest running task the user may see', async () => {
    const sessionId = `s-${Math.random()}`;
    const older = await newTask(t.registry, { sessionId });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const newer = await newTask(t.registry, { sessionId });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const someoneElses = await newTask(t.registry, { sessionId, userId: 'user-2' });
    expect(await t.registry.getActiveTaskForSession(sessionId, 'user-1')).toEqual(newer);
    expect(await t.registry.getActiveTaskForSession(sessionId, 'user-2')).toEqual(someoneElses);
    expect(await t.registry.getActiveTaskForSession(sessionId, 'user-3')).toBeNull();
    await t.registry.completeTask(newer.taskId, { status: 'completed', chunks: [] });
    expect(await t.registry.getActiveTaskForSession(sessionId, 'user-1')).toEqual(older);
    await t.registry.completeTask(older.taskId, { status: 'failed', chunks: [], error: 'x' });
    expect(await t.registry.getActiveTaskForSession(sessionId, 'user-1')).toBeNull();
    expect(await t.registry.getActiveTaskForSession('no-session', 'user-1')).toBeNull();
  });

  it('drops index members whose task hash is gone', async () => {
    const task = await newTask(t.registry);
    await t.redis.del(t.registry.keys.meta(task.taskId));
    expect(await t.registry.getActiveTaskForSession(task.sessionId, 'user-1')).toBeNull();
    expect(await t.redis.zcard(t.registry.keys.session(task.sessionId))).toBe(0);
  });
});

describe('key layouts', () => {
  it('compat uses the Python original names', () => {
    const keys = taskKeys('compat', 'chat:');
    expect(keys.meta('t1')).toBe('chat:task:meta:t1');
    expect(keys.operation('o1')).toBe('chat:task:op:o1');
    expect(keys.stream('t1')).toBe('chat:stream:t1');
  });

  it('cluster: the keys each multi-key script touches (task hash + chunk stream) share one hash tag', () => {
    const keys = taskKeys('cluster', 'chat:');
    for (const taskId of ['t1', 'a:b', 'x}y', '{odd', 'ü-日本']) {
      // publish-chunk-2 and complete-task-2 take exactly these two keys.
      const tag = hashTagOf(keys.meta(taskId));
      expect(tag).toBeDefined();
      expect(hashTagOf(keys.stream(taskId))).toBe(tag);
    }
    expect(hashTagOf(keys.operation('o1'))).toBe('o1');
    expect(hashTagOf(keys.session('s1'))).toBe('s1');
  });

  it('rejects options that cannot work', () => {
    expect(() => new StreamRegistry({ url: 'redis://127.0.0.1:1', ttlSeconds: 0 })).toThrow(/ttlSeconds/);
    expect(() => new StreamRegistry({})).toThrow(/exactly one of redis or url/);
    expect(() => new StreamRegistry({ url: 'redis://x', keyLayout: 'cluster', keyPrefix: '{a}:' })).toThrow(
      /braces/,
    );
  });
});

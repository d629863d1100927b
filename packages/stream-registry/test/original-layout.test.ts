import { commandCalls } from '@chat/testing';
import { ownRedisServer } from '@chat/testing/suite';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTaskTimestamp, StreamRegistry, toSSEResponse } from '../src/index.js';
import { collect, makeRegistry, newTask } from './helpers.js';

/** A task hash as the Python original's chat API writes it: no session index entry, its created_at format. */
async function writeOriginalTask(
  redis: Redis,
  registry: StreamRegistry,
  id: string,
  sessionId: string,
  createdAt: string,
  userId = 'user-1',
) {
  const meta = registry.keys.meta(id);
  await redis.hset(meta, {
    task_id: id,
    session_id: sessionId,
    user_id: userId,
    tool_call_id: `call-${id}`,
    tool_name: 'create_agent',
    operation_id: `op-${id}`,
    status: 'running',
    created_at: createdAt,
  });
  await redis.expire(meta, 3600);
  await redis.set(registry.keys.operation(`op-${id}`), id, 'EX', 3600);
}

/** `datetime.now(timezone.utc).isoformat()` of `msAgo` ms ago, as the original writes created_at. */
function originalIso(msAgo: number): string {
  return new Date(Date.now() - msAgo).toISOString().replace(/\.(\d{3})Z$/, '.$1456+00:00');
}

describe('created_at in both formats', () => {
  it('parseTaskTimestamp reads the original format and ours to the same instant', () => {
    const ms = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    expect(parseTaskTimestamp('2026-01-02T03:04:05.678000+00:00')).toBe(ms);
    expect(parseTaskTimestamp('2026-01-02T03:04:05.678123+00:00')).toBe(ms);
    expect(parseTaskTimestamp('2026-01-02T03:04:05.678Z')).toBe(ms);
    expect(parseTaskTimestamp('2026-01-02T05:04:05.678+02:00')).toBe(ms);
    // Python omits the fraction when the microseconds are 0.
    expect(parseTaskTimestamp('2026-01-02T03:04:05+00:00')).toBe(ms - 678);
    expect(parseTaskTimestamp('yesterday')).toBeNull();
    expect(parseTaskTimestamp('')).toBeNull();
  });

  it.each([
    ['compat', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/],
    ['cluster', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/],
  ] as const)('createTask writes created_at as the %s layout reads it', async (layout, format) => {
    const t = makeRegistry(layout);
    try {
      const before = Date.now();
      const task = await newTask(t.registry);
      const stored = await t.redis.hget(t.registry.keys.meta(task.taskId), 'created_at');
      expect(stored).toMatch(format);
      expect(task.createdAt).toBe(stored);
      expect(parseTaskTimestamp(stored)).toBeGreaterThanOrEqual(before);
      expect(parseTaskTimestamp(stored)).toBeLessThanOrEqual(Date.now());
    } finally {
      await t.close();
    }
  });
});

describe('a live subscriber whose task changed status without a finish chunk', () => {
  const t = makeRegistry('compat', { idleCheckMs: 100 });
  afterAll(() => t.close());

  it('ends with task_ended at the next idle check, and SSE sends [DONE]', async () => {
    const task = await newTask(t.registry);
    await t.registry.publishChunk(task.taskId, { type: 'start' });
    const subscription = await t.registry.subscribe(task.taskId, { userId: 'user-1' });
    const entries = collect(subscription);
    const response = await toSSEResponse(t.registry, task.taskId, undefined, { userId: 'user-1' });
    // The original's compare-and-set, without its separate finish XADD (the step a crash skips).
    await t.redis.hset(t.registry.keys.meta(task.taskId), 'status', 'completed');
    expect((await entries).map((entry) => entry.chunk.type)).toEqual(['start']);
    expect(subscription.endReason).toBe('task_ended');
    expect((await response.text()).endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('a finish written after the status change is still delivered (finish, not task_ended)', async () => {
    const task = await newTask(t.registry);
    const subscription = await t.registry.subscribe(task.taskId, { userId: 'user-1' });
    const entries = collect(subscription);
    const meta = t.registry.keys.meta(task.taskId);
    await t.redis
      .multi()
      .hset(meta, 'status', 'failed')
      .xadd(t.registry.keys.stream(task.taskId), '*', 'data', JSON.stringify({ type: 'finish' }))
      .exec();
    expect((await entries).map((entry) => entry.chunk.type)).toEqual(['finish']);
    expect(subscription.endReason).toBe('finish');
  });
});

// Its own redis-server: INFO commandstats counts every client.
describe('getActiveTaskForSession finds tasks the original created (compat layout)', () => {
  const own = ownRedisServer();
  let redis: Redis;
  let probe: Redis;
  let registry: StreamRegistry;
  beforeAll(() => {
    ({ redis, probe } = own);
    // A long sweep interval, so each test below sees exactly the sweeps it causes.
    registry = new StreamRegistry({ redis, foreignTaskSweepMs: 60_000 });
  });
  afterAll(() => registry.close());

  it('one sweep indexes them (newest first, owner checked); our own tasks never SCAN', async () => {
    for (let i = 0; i < 50; i += 1) await newTask(registry);
    await writeOriginalTask(redis, registry, 'py-old', 'py-session', originalIso(3000));
    const newest = originalIso(2000);
    await writeOriginalTask(redis, registry, 'py-new', 'py-session', newest);
    await writeOriginalTask(redis, registry, 'py-other', 'py-session', originalIso(1000), 'user-2');
    const ours = await newTask(registry, { sessionId: 'our-session' });

    await probe.config('RESETSTAT');
    expect(await registry.getActiveTaskForSession('our-session', 'user-1')).toEqual(ours);
    expect(await commandCalls(probe)).toEqual({ zrevrange: 1, hgetall: 1 });

    await probe.config('RESETSTAT');
    const found = await registry.getActiveTaskForSession('py-session', 'user-1');
    expect(found).toMatchObject({ taskId: 'py-new', createdAt: newest });
    expect((await commandCalls(probe)).scan).toBeGreaterThanOrEqual(1);

    // Indexed now: found again without a SCAN, and the other user's task is there for its owner.
    await probe.config('RESETSTAT');
    expect(await registry.getActiveTaskForSession('py-session', 'user-2')).toMatchObject({
      taskId: 'py-other',
    });
    expect(await registry.getActiveTaskForSession('py-session', 'user-1')).toMatchObject({
      taskId: 'py-new',
    });
    expect((await commandCalls(probe)).scan).toBeUndefined();
  });

  it('misses sweep at most once per foreignTaskSweepMs, and concurrent misses share one sweep', async () => {
    const fresh = new StreamRegistry({ redis, foreignTaskSweepMs: 60_000 });
    try {
      await probe.config('RESETSTAT');
      const misses = await Promise.all(
        Array.from({ length: 5 }, (_, i) => fresh.getActiveTaskForSession(`nobody-${i}`, 'user-1')),
      );
      expect(misses).toEqual([null, null, null, null, null]);
      const first = (await commandCalls(probe)).scan ?? 0;
      expect(first).toBeGreaterThanOrEqual(1);
      await writeOriginalTask(redis, fresh, 'py-late', 'late-session', originalIso(0));
      // Within the interval: no second sweep, so the task created after the sweep is not seen yet.
      expect(await fresh.getActiveTaskForSession('late-session', 'user-1')).toBeNull();
      expect((await commandCalls(probe)).scan).toBe(first);
    } finally {
      await fresh.close();
    }
  });

  it('foreignTaskSweepMs 0 turns the sweep off', async () => {
    const off = new StreamRegistry({ redis, foreignTaskSweepMs: 0 });
    try {
      await writeOriginalTask(redis, off, 'py-unseen', 'unseen-session', originalIso(0));
      await probe.config('RESETSTAT');
      expect(await off.getActiveTaskForSession('unseen-session', 'user-1')).toBeNull();
      expect((await commandCalls(probe)).scan).toBeUndefined();
    } finally {
      await off.close();
    }
  });
});

import { hashTagOf } from '@chat/completion-schema/internal';
import { commandCalls } from '@chat/testing';
import { ownRedisServer } from '@chat/testing/suite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KeyLayout, StreamRegistry } from '../src/index.js';
import { newTask, waitFor } from './helpers.js';

// Its own redis-server: INFO commandstats counts every client, so the shared one would mix in other tests.
describe.each(['compat', 'cluster'] as const)('round trips and commands (%s layout)', (layout: KeyLayout) => {
  const own = ownRedisServer();
  let registry: StreamRegistry;
  beforeAll(async () => {
    registry = new StreamRegistry({ redis: own.redis, keyLayout: layout });
    // Load the scripts once, so the counts below are the steady state (EVALSHA only).
    const warm = await newTask(registry);
    await registry.publishChunk(warm.taskId, { type: 'start' });
    await registry.completeTask(warm.taskId, { status: 'completed', chunks: [] });
  });
  afterAll(() => registry.close());

  it('publishChunk is one EVALSHA and completeTask is one EVALSHA', async () => {
    const { probe } = own;
    const task = await newTask(registry);
    await probe.config('RESETSTAT');
    for (let i = 0; i < 20; i += 1) await registry.publishChunk(task.taskId, { type: 'data-n', data: i });
    const publish = await commandCalls(probe);
    await probe.config('RESETSTAT');
    await registry.completeTask(task.taskId, {
      status: 'completed',
      chunks: [
        { type: 'tool-output-available', toolCallId: task.toolCallId, output: 'x' },
        { type: 'finish-step' },
      ],
      result: 'x',
    });
    const complete = await commandCalls(probe);
    console.log(`[${layout}] 20 × publishChunk →`, publish, '| 1 × completeTask →', complete);
    expect(publish).toEqual({ evalsha: 20, xadd: 20, hget: 20, expire: 40 });
    expect(complete).toMatchObject({ evalsha: 1, xadd: 3 });
    expect(Object.keys(complete).sort()).toEqual(['evalsha', 'expire', 'hget', 'hset', 'xadd']);
  });

  it('createTask round trips', async () => {
    const { probe } = own;
    await probe.config('RESETSTAT');
    await newTask(registry);
    const calls = await commandCalls(probe);
    console.log(`[${layout}] 1 × createTask →`, calls);
    if (layout === 'compat') expect(calls.evalsha).toBe(1);
    else expect(calls).toMatchObject({ evalsha: 2, set: 1 });
  });

  it('every script call touches keys of one hash slot (seen with MONITOR)', async () => {
    const { probe } = own;
    const monitor = await probe.monitor();
    const calls: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'evalsha') calls.push(args);
    });
    try {
      const task = await newTask(registry);
      await registry.publishChunk(task.taskId, { type: 'start' });
      await registry.completeTask(task.taskId, { status: 'completed', chunks: [{ type: 'finish-step' }] });
      await waitFor(() => calls.length >= (layout === 'compat' ? 3 : 4), 10_000, 'monitored calls');
    } finally {
      monitor.disconnect();
    }
    for (const [, , numKeys, ...rest] of calls) {
      const keys = rest.slice(0, Number(numKeys));
      if (layout === 'cluster') {
        expect(
          keys.every(
            (key) => hashTagOf(key) !== undefined && hashTagOf(key) === hashTagOf(keys[0] as string),
          ),
        ).toBe(true);
      } else {
        // compat: the Python names, no tags; one Redis, so the 3-key create script is fine.
        expect(keys.every((key) => hashTagOf(key) === undefined)).toBe(true);
      }
    }
  });

  it('getActiveTaskForSession reads the session index: no SCAN, no KEYS', async () => {
    const { probe } = own;
    const sessionId = 'session-with-history';
    for (let i = 0; i < 30; i += 1) await newTask(registry);
    const mine = await newTask(registry, { sessionId });
    await probe.config('RESETSTAT');
    expect(await registry.getActiveTaskForSession(sessionId, 'user-1')).toEqual(mine);
    const calls = await commandCalls(probe);
    console.log(`[${layout}] getActiveTaskForSession →`, calls);
    expect(calls.scan).toBeUndefined();
    expect(calls.keys).toBeUndefined();
    expect(calls).toEqual({ zrevrange: 1, hgetall: 1 });
  });
});

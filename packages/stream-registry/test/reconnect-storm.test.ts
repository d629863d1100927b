import { commandCalls } from '@chat/testing';
import { ownRedisServer } from '@chat/testing/suite';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StreamEntry, StreamRegistry } from '../src/index.js';
import { newTask, waitFor } from './helpers.js';

const TASKS = 4;
const PER_TASK = 100;
const CHUNKS = 30;

// Its own redis-server: INFO commandstats counts every client.
describe('a reconnect storm with Last-Event-ID', () => {
  const own = ownRedisServer();
  let redis: Redis;
  let probe: Redis;
  let registry: StreamRegistry;
  beforeAll(() => {
    ({ redis, probe } = own);
    registry = new StreamRegistry({ redis, replayPageSize: 10 });
  });
  afterAll(() => registry.close());

  it('coalesces the replays: each subscriber gets exactly what follows its own cursor, few reads per task', async () => {
    const tasks = await Promise.all(Array.from({ length: TASKS }, () => newTask(registry)));
    const ids = new Map<string, string[]>();
    for (const task of tasks) {
      const written: string[] = [];
      for (let i = 0; i < CHUNKS; i++)
        written.push(await registry.publishChunk(task.taskId, { type: 'data-n', data: i }));
      ids.set(task.taskId, written);
    }
    // Half resume from early on, half from the middle: a shared page from the older cursor must not leak into
    // the newer one's, and pages (10 entries) end before the stream does.
    const cursorOf = (task: string, s: number) => ids.get(task)![s % 2 === 0 ? 2 : 17]!;
    await probe.config('RESETSTAT');
    const received = new Map<string, StreamEntry[]>();
    const runs: Promise<void>[] = [];
    for (const task of tasks)
      for (let s = 0; s < PER_TASK; s++) {
        const entries: StreamEntry[] = [];
        received.set(`${task.taskId}/${s}`, entries);
        const controller = new AbortController();
        runs.push(
          registry
            .subscribe(task.taskId, {
              userId: 'user-1',
              lastEventId: cursorOf(task.taskId, s),
              signal: controller.signal,
            })
            .then(async (subscription) => {
              for await (const entry of subscription) {
                entries.push(entry);
                // Caught up: leave the live tail.
                if (entry.id === ids.get(task.taskId)!.at(-1)) controller.abort();
              }
            }),
        );
      }
    await Promise.all(runs);
    const calls = await commandCalls(probe);

    for (const task of tasks)
      for (let s = 0; s < PER_TASK; s++) {
        const expected = ids.get(task.taskId)!.slice(s % 2 === 0 ? 3 : 18);
        expect(received.get(`${task.taskId}/${s}`)!.map((e) => e.id)).toEqual(expected);
      }
    const subscribers = TASKS * PER_TASK;
    // Uncoalesced: one XRANGE per subscriber and page (400 × 2–4) and one check per subscriber (400 HGETALLs).
    // Coalesced: a few batches per task (about 7 XRANGEs and 2 checks here), bounded loosely for a busy machine.
    console.log(`${subscribers} subscribers resuming →`, calls);
    expect(calls.xrange).toBeGreaterThan(0);
    expect(calls.xrange).toBeLessThanOrEqual(TASKS * 16);
    expect(calls.hgetall).toBeLessThanOrEqual(TASKS * 8);
    expect(calls['xinfo|stream']).toBeLessThanOrEqual(TASKS * 8);
  });

  it('reuses a replay page for subscribers arriving one after another, and never at the cost of an entry', async () => {
    const task = await newTask(registry);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(await registry.publishChunk(task.taskId, { type: 'data-n', data: i }));
    const follow = (until: string) => {
      const entries: string[] = [];
      const controller = new AbortController();
      const done = registry
        .subscribe(task.taskId, { userId: 'user-1', signal: controller.signal })
        .then(async (subscription) => {
          for await (const entry of subscription) {
            entries.push(entry.id);
            if (entry.id === until || entry.chunk.type === 'finish') break;
          }
          controller.abort();
        });
      return { entries, done };
    };
    await probe.config('RESETSTAT');
    // Ten subscribers in turn, each done with its replay before the next comes: one page read serves them all.
    for (let s = 0; s < 10; s++) {
      const subscriber = follow(ids[4]!);
      await subscriber.done;
      expect(subscriber.entries).toEqual(ids);
    }
    expect((await commandCalls(probe)).xrange).toBe(1);

    // A chunk written after the kept page was read still reaches a subscriber that replays from that page.
    const live = follow('never');
    await waitFor(() => live.entries.length === 5, 10_000, 'the first subscriber live');
    ids.push(await registry.publishChunk(task.taskId, { type: 'data-n', data: 5 }));
    const late = follow(ids[5]!);
    await late.done;
    expect(late.entries).toEqual(ids);

    // A task seen finished never replays from a page older than its finish.
    await registry.completeTask(task.taskId, { status: 'completed', chunks: [] });
    await live.done;
    const after = follow('never');
    await after.done;
    expect(after.entries.slice(0, 6)).toEqual(ids);
    expect(after.entries).toEqual(live.entries);
    expect(after.entries).toHaveLength(7);
  });
});

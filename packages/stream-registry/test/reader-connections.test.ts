import { randomBytes } from 'node:crypto';
import { fnv1a32 } from '@chat/completion-schema';
import { afterAll, describe, expect, it } from 'vitest';
import type { StreamEntry } from '../src/index.js';
import { makeRegistry, newTask, waitFor } from './helpers.js';

const SUBSCRIBERS = 200;
const TASKS = 40;
const READERS = 4;

describe(`readerConnections: ${READERS}`, () => {
  const name = `reg-readers-${randomBytes(4).toString('hex')}`;
  const t = makeRegistry('compat', { readerConnections: READERS }, { connectionName: name });
  afterAll(() => t.close());

  async function ourConnections(): Promise<string[]> {
    const list = (await t.redis.client('LIST')) as string;
    return list.split('\n').filter((line) => line.includes(` name=${name}`));
  }

  it('splits the live tail over that many connections, each stream on one, every chunk to every subscriber once', async () => {
    const tasks = await Promise.all(Array.from({ length: TASKS }, () => newTask(t.registry)));
    await Promise.all(tasks.map((task) => t.registry.publishChunk(task.taskId, { type: 'start' })));
    const received: StreamEntry[][] = [];
    const runs: Promise<void>[] = [];
    for (let i = 0; i < SUBSCRIBERS; i += 1) {
      const task = tasks[i % TASKS]!;
      const entries: StreamEntry[] = [];
      received.push(entries);
      const subscription = await t.registry.subscribe(task.taskId, { userId: 'user-1' });
      runs.push(
        (async () => {
          for await (const entry of subscription) entries.push(entry);
        })(),
      );
    }
    await waitFor(() => t.registry.liveSubscriberCount === SUBSCRIBERS, 30_000, 'every subscriber live');
    // A reader connection exists for each share that holds at least one stream (by the same hash of the key).
    const shares = new Set(tasks.map((task) => fnv1a32(t.registry.keys.stream(task.taskId)) % READERS)).size;
    const readers = await waitFor(
      async () => {
        const lines = (await ourConnections()).filter((line) => line.includes(`name=${name}:reader`));
        return lines.filter((line) => line.includes('cmd=xread')).length === shares ? lines : undefined;
      },
      10_000,
      'the blocked readers',
    );
    expect(shares).toBeGreaterThan(1);
    expect(readers).toHaveLength(shares);

    await Promise.all(
      tasks.map((task) => t.registry.publishChunk(task.taskId, { type: 'data-progress', data: task.taskId })),
    );
    await Promise.all(
      tasks.map((task) => t.registry.completeTask(task.taskId, { status: 'completed', chunks: [] })),
    );
    await Promise.all(runs);
    received.forEach((entries, i) => {
      const task = tasks[i % TASKS];
      expect(entries.map((e) => e.chunk)).toEqual([
        { type: 'start' },
        { type: 'data-progress', data: task?.taskId },
        { type: 'finish' },
      ]);
    });
    expect(t.registry.liveSubscriberCount).toBe(0);
  });
});

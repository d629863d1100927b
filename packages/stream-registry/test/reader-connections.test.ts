import { randomBytes } from 'node:crypto';
import { fnv1a32 } from '@chat/completion-schema';
import { afterAll, describe, expect, it } from 'vitest';
import { connectionsNamed, makeRegistry, newTask, subscribeAll, waitFor } from './helpers.js';

const SUBSCRIBERS = 200;
const TASKS = 40;
const READERS = 4;

describe(`readerConnections: ${READERS}`, () => {
  const name = `reg-readers-${randomBytes(4).toString('hex')}`;
  const t = makeRegistry('compat', { readerConnections: READERS }, { connectionName: name });
  afterAll(() => t.close());

  const ourConnections = () => connectionsNamed(t.redis, name);

  it('splits the live tail over that many connections, each stream on one, every chunk to every subscriber once', async () => {
    const tasks = await Promise.all(Array.from({ length: TASKS }, () => newTask(t.registry)));
    await Promise.all(tasks.map((task) => t.registry.publishChunk(task.taskId, { type: 'start' })));
    const { received, done } = await subscribeAll(t.registry, tasks, SUBSCRIBERS);
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
    await done;
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

import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { connectionsNamed, makeRegistry, newTask, subscribeAll, waitFor } from './helpers.js';

const SUBSCRIBERS = Number(process.env.REGISTRY_SUBSCRIBERS ?? 1000);
const TASKS = Math.max(1, Math.round(SUBSCRIBERS / 5));

describe(`${SUBSCRIBERS} concurrent live subscribers`, () => {
  const name = `reg-many-${randomBytes(4).toString('hex')}`;
  const t = makeRegistry('compat', {}, { connectionName: name });
  afterAll(() => t.close());

  const ourConnections = () => connectionsNamed(t.redis, name);

  it('share one blocking connection (counted with CLIENT LIST) and each get every chunk once', async () => {
    const tasks = await Promise.all(Array.from({ length: TASKS }, () => newTask(t.registry)));
    await Promise.all(tasks.map((task) => t.registry.publishChunk(task.taskId, { type: 'start' })));
    const { received, done } = await subscribeAll(t.registry, tasks, SUBSCRIBERS);
    await waitFor(
      () => t.registry.liveSubscriberCount === SUBSCRIBERS,
      30_000,
      'every subscriber to go live',
    );

    const connections = await waitFor(
      async () => {
        const lines = await ourConnections();
        return lines.some((line) => line.includes('cmd=xread')) ? lines : undefined;
      },
      10_000,
      'the blocked reader',
    );
    // The caller's command connection plus exactly one reader, blocked in one XREAD over every tailed stream.
    expect(connections).toHaveLength(2);
    expect(connections.filter((line) => line.includes(`name=${name}:reader`))).toHaveLength(1);
    expect(connections.filter((line) => line.includes('cmd=xread'))).toHaveLength(1);

    await Promise.all(
      tasks.map((task) => t.registry.publishChunk(task.taskId, { type: 'data-progress', data: task.taskId })),
    );
    await Promise.all(
      tasks.map((task) =>
        t.registry.completeTask(task.taskId, {
          status: 'completed',
          chunks: [{ type: 'tool-output-available', toolCallId: task.toolCallId, output: task.taskId }],
        }),
      ),
    );
    await done;
    received.forEach((entries, i) => {
      const task = tasks[i % TASKS];
      expect(entries.map((e) => e.chunk)).toEqual([
        { type: 'start' },
        { type: 'data-progress', data: task?.taskId },
        { type: 'tool-output-available', toolCallId: task?.toolCallId, output: task?.taskId },
        { type: 'finish' },
      ]);
    });
    expect(t.registry.liveSubscriberCount).toBe(0);
    expect(await ourConnections()).toHaveLength(2);
  });
});

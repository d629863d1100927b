import { startTestTracing, type TestTracing } from '@chat/testing/tracing';
import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, makeRegistry, newTask, openingChunks } from './helpers.js';

describe('registry spans', () => {
  const t = makeRegistry('cluster');
  let tracing: TestTracing;
  beforeAll(() => {
    tracing = startTestTracing();
  });
  afterAll(async () => {
    await tracing.stop();
    await t.close();
  });

  it('subscribe and its replay are spans; find_task is a child of the active span; failures carry error.type', async () => {
    const task = await newTask(t.registry);
    for (const chunk of openingChunks(task.toolCallId)) await t.registry.publishChunk(task.taskId, chunk);
    await t.registry.completeTask(task.taskId, { status: 'completed', chunks: [] });
    const entries = await collect(await t.registry.subscribe(task.taskId, { userId: 'user-1' }));

    const subscribe = tracing.spans().find((s) => s.name === 'registry.subscribe');
    expect(subscribe?.attributes['chat.task_id']).toBe(task.taskId);
    const replay = tracing.spans().find((s) => s.name === 'registry.replay');
    expect(replay?.attributes).toMatchObject({
      'chat.task_id': task.taskId,
      'chat.registry.cursor': '0-0',
      'chat.registry.replayed_entries': entries.length,
      'chat.registry.replay_finished': true,
    });

    const found = await trace.getTracer('test').startActiveSpan('process', async (parent) => {
      const got = await t.registry.findTaskForCompletion(task.operationId, task.taskId);
      parent.end();
      return { got, parent: parent.spanContext().spanId };
    });
    expect(found.got?.taskId).toBe(task.taskId);
    const findTask = tracing.spans().find((s) => s.name === 'registry.find_task');
    expect(findTask?.parentSpanContext?.spanId).toBe(found.parent);

    await expect(t.registry.subscribe('no-such-task')).rejects.toThrow();
    const failed = tracing
      .spans()
      .filter((s) => s.name === 'registry.subscribe')
      .at(-1);
    expect(failed?.attributes['error.type']).toBe('task_not_found');
  });
});

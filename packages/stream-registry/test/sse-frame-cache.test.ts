import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from '@chat/completion-schema';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type SSEOptions,
  type StreamEntry,
  type StreamRegistry,
  toolFailureChunk,
  toolOutputChunk,
  toSSEResponse,
  toWireChunk,
} from '../src/index.js';
import { makeRegistry, newTask, waitFor } from './helpers.js';

/** What a subscriber of `registry`'s task must receive for each stored entry, serialized here independently. */
async function expectedFrames(registry: StreamRegistry, redis: Redis, taskId: string) {
  const raw = (await redis.xrange(registry.keys.stream(taskId), '-', '+')) as [string, string[]][];
  let text = '';
  for (const [id, fields] of raw) {
    const wire = toWireChunk(JSON.parse(fields[fields.indexOf('data') + 1] as string));
    if (wire.kind === 'chunk') text += `id: ${id}\ndata: ${JSON.stringify(wire.chunk)}\n\n`;
    else if (wire.kind === 'comment') text += `: ${wire.comment}\n\n`;
  }
  return text;
}

/** Opens a task's SSE body and collects its text until it ends. */
function follow(registry: StreamRegistry, taskId: string, options: SSEOptions) {
  return toSSEResponse(registry, taskId, undefined, { userId: 'user-1', ...options }).then((response) =>
    response.text(),
  );
}

// Frames are cached per stored entry and shared by every subscriber the entry reaches (sse.ts): these tests pin
// that the sharing never crosses streams, registries or dialects, never carries a subscriber's own options, and
// never outlives the entries.
describe('SSE frames cached per entry', () => {
  const original = makeRegistry('compat', { chunkDialect: 'original' });
  const aiSdk = makeRegistry('cluster', { chunkDialect: 'ai-sdk' });
  afterAll(async () => {
    await original.close();
    await aiSdk.close();
  });

  it('every subscriber gets its own stream, dialect and options: same task id and entry ids in two registries', async () => {
    // The same task id, and the same explicit entry ids, in two registries of different layouts and dialects.
    const task = await newTask(original.registry);
    await aiSdk.registry.createTask({
      taskId: task.taskId,
      sessionId: task.sessionId,
      userId: 'user-1',
      toolCallId: task.toolCallId,
      toolName: task.toolName,
      operationId: `${task.taskId}-op`,
    });
    const both = [original, aiSdk];
    const options: SSEOptions[] = [
      { retryMs: 1111, keepAliveMs: 60_000 },
      { retryMs: 2222, keepAliveMs: 60_000 },
    ];
    // Live subscribers (the shared reader fans one entry object out to them) of both registries, two option sets
    // each, before anything is written.
    const live = both.flatMap((t) =>
      options.map((o) => ({ t, o, text: follow(t.registry, task.taskId, o) })),
    );
    await waitFor(
      () => both.every((t) => t.registry.liveSubscriberCount === options.length),
      10_000,
      'the live subscribers',
    );
    const base = Date.now() + 60_000;
    for (const [i, t] of both.entries()) {
      const stream = t.registry.keys.stream(task.taskId);
      const which = i === 0 ? 'original' : 'ai-sdk';
      await t.redis.xadd(stream, `${base}-0`, 'data', JSON.stringify({ type: 'start', messageId: which }));
      await t.redis.xadd(stream, `${base}-1`, 'data', JSON.stringify({ type: 'data-n', data: { which } }));
      const target = { toolCallId: task.toolCallId, toolName: task.toolName };
      const dialect = t.registry.options.chunkDialect;
      await t.registry.publishChunk(task.taskId, toolOutputChunk(dialect, { ...target, output: which }));
      await t.registry.publishChunk(task.taskId, toolFailureChunk(dialect, { ...target, errorText: which }));
    }
    for (const t of both) await t.registry.completeTask(task.taskId, { status: 'completed', chunks: [] });
    // Late subscribers replay from the start (pages shared between them), with yet other options.
    const late = both.flatMap((t) =>
      [{ retryMs: 3333 }, { retryMs: 4444 }].map((o) => ({ t, o, text: follow(t.registry, task.taskId, o) })),
    );

    for (const { t, o, text } of [...live, ...late]) {
      const own = await expectedFrames(t.registry, t.redis, task.taskId);
      expect(await text).toBe(`retry: ${o.retryMs}\n\n${own}data: [DONE]\n\n`);
    }
    // The two streams really differ where the ids are the same, so a shared frame would have shown.
    const [a, b] = await Promise.all(both.map((t) => expectedFrames(t.registry, t.redis, task.taskId)));
    expect(a).toContain(`id: ${base}-1\ndata: {"type":"data-n","data":{"which":"original"}}`);
    expect(b).toContain(`id: ${base}-1\ndata: {"type":"data-n","data":{"which":"ai-sdk"}}`);
    expect(a).toContain('"type":"error","errorText":"original"');
    expect(b).toContain('"type":"tool-output-error"');
  });

  it('an entry is serialized once for all its live subscribers (a dropped chunk is logged once, not per subscriber)', async () => {
    const warned: unknown[] = [];
    const logger: Logger = { debug() {}, info() {}, warn: (o: unknown) => warned.push(o), error() {} };
    const t = makeRegistry('compat', { logger });
    try {
      const task = await newTask(t.registry);
      const texts = Array.from({ length: 5 }, () => follow(t.registry, task.taskId, {}));
      await waitFor(() => t.registry.liveSubscriberCount === 5, 10_000, 'the live subscribers');
      await t.redis.xadd(t.registry.keys.stream(task.taskId), '*', 'data', '{"type":"not-a-chunk"}');
      await t.registry.completeTask(task.taskId, { status: 'completed', chunks: [] });
      for (const text of texts) expect(await text).toMatch(/data: \[DONE\]\n\n$/);
      expect(warned).toHaveLength(1);
      expect(warned[0]).toMatchObject({ type: 'not-a-chunk', reason: 'unknown_type' });
    } finally {
      await t.close();
    }
  });

  it('holds no entry once the streams have ended: the cache is bounded by what is still streaming', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const t = makeRegistry('compat');
    try {
      const task = await newTask(t.registry);
      // Only the lengths are kept: the test's own copies of the texts would weigh in the heap below.
      const lengths = Array.from({ length: 4 }, () =>
        follow(t.registry, task.taskId, {}).then((text) => text.length),
      );
      // A plain subscriber beside them receives the very entry objects the SSE frames are cached under.
      const refs: WeakRef<StreamEntry>[] = [];
      const observed = t.registry.subscribe(task.taskId, { userId: 'user-1' }).then(async (subscription) => {
        for await (const entry of subscription) refs.push(new WeakRef(entry));
      });
      await waitFor(() => t.registry.liveSubscriberCount === 5, 10_000, 'the live subscribers');
      const collect = async () => {
        for (let i = 0; i < 5; i++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          gc();
        }
        return process.memoryUsage().heapUsed;
      };
      const heapBefore = await collect();
      // 4 MB of frames: kept past the streams' end (by id, say), they would show in the heap.
      const padding = 'x'.repeat(40_000);
      for (let i = 0; i < 100; i++)
        await t.registry.publishChunk(task.taskId, { type: 'data-n', data: { i, padding } } as never);
      await t.registry.completeTask(task.taskId, { status: 'completed', chunks: [] });
      await observed;
      for (const length of await Promise.all(lengths)) expect(length).toBeGreaterThan(100 * 40_000);
      expect(refs).toHaveLength(101);
      expect(t.registry.liveSubscriberCount).toBe(0);
      // WeakRef targets stay alive until the job that made them ends: collect in later turns.
      for (let i = 0; i < 5 && refs.some((ref) => ref.deref()); i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        gc();
      }
      expect(refs.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
      const growth = (await collect()) - heapBefore;
      expect(growth).toBeLessThan(2_000_000);
    } finally {
      await t.close();
    }
  });
});

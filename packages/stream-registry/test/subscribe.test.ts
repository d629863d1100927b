import { afterAll, describe, expect, it } from 'vitest';
import { type StreamEntry, StreamRegistryError, type UIMessageChunk } from '../src/index.js';
import { collect, makeRegistry, newTask, openingChunks, waitFor } from './helpers.js';

describe.each(['compat', 'cluster'] as const)('subscribe (%s layout)', (layout) => {
  const t = makeRegistry(layout, { subscriberBufferSize: 8, idleCheckMs: 500, streamMaxLen: 100 });
  afterAll(() => t.close());

  it('replays what is there, tails live chunks and ends after finish', async () => {
    const task = await newTask(t.registry);
    for (const chunk of openingChunks(task.toolCallId)) await t.registry.publishChunk(task.taskId, chunk);
    const subscription = await t.registry.subscribe(task.taskId, { userId: 'user-1' });
    const received: StreamEntry[] = [];
    const done = (async () => {
      for await (const entry of subscription) received.push(entry);
    })();
    await waitFor(() => received.length === 3, 10_000, 'replay');
    await t.registry.publishChunk(task.taskId, { type: 'data-progress', data: { pct: 50 } });
    await waitFor(() => received.length === 4, 10_000, 'live chunk');
    const output = { type: 'tool-output-available', toolCallId: task.toolCallId, output: { ok: 1 } } as const;
    await t.registry.completeTask(task.taskId, { status: 'completed', chunks: [output] });
    await done;
    expect(received.map((e) => e.chunk.type)).toEqual([
      'start',
      'start-step',
      'tool-input-available',
      'data-progress',
      'tool-output-available',
      'finish',
    ]);
    expect(subscription.endReason).toBe('finish');
    expect(subscription.cursor).toBe(received.at(-1)?.id);
  });

  it('reconnecting at every cursor position yields every chunk exactly once and in order', async () => {
    const task = await newTask(t.registry);
    const all: UIMessageChunk[] = [
      ...openingChunks(task.toolCallId),
      ...Array.from({ length: 12 }, (_, i) => ({ type: 'data-n', data: i }) as UIMessageChunk),
    ];
    // Half written before anyone subscribes, half while subscribers are live.
    for (const chunk of all.slice(0, 7)) await t.registry.publishChunk(task.taskId, chunk);
    const expected = [
      ...all,
      { type: 'tool-output-available', toolCallId: task.toolCallId, output: 'done' },
      { type: 'finish' },
    ];
    const writer = (async () => {
      for (const chunk of all.slice(7)) {
        await t.registry.publishChunk(task.taskId, chunk);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await t.registry.completeTask(task.taskId, {
        status: 'completed',
        chunks: [expected.at(-2) as UIMessageChunk],
      });
    })();
    // A reader that disconnects after every single chunk and resumes from the last id it saw.
    const seen: StreamEntry[] = [];
    let cursor: string | undefined;
    for (;;) {
      const controller = new AbortController();
      const subscription = await t.registry.subscribe(task.taskId, {
        userId: 'user-1',
        lastEventId: cursor,
        signal: controller.signal,
      });
      const iterator = subscription[Symbol.asyncIterator]();
      const next = await iterator.next();
      controller.abort();
      await iterator.return?.();
      if (next.done) break;
      seen.push(next.value);
      cursor = next.value.id;
      if (next.value.chunk.type === 'finish') break;
    }
    await writer;
    expect(seen.map((e) => e.chunk)).toEqual(expected);
    const ids = seen.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    // And from every cursor of the finished stream, the remainder exactly.
    for (let i = 0; i < seen.length; i += 1) {
      const rest = await collect(
        await t.registry.subscribe(task.taskId, { userId: 'user-1', lastEventId: seen[i]?.id }),
      );
      expect(rest.map((e) => e.id)).toEqual(ids.slice(i + 1));
    }
  });

  it('enforces ownership; anonymous tasks are open to all', async () => {
    const task = await newTask(t.registry);
    for (const userId of ['user-2', null, undefined]) {
      const error = await t.registry.subscribe(task.taskId, { userId }).catch((e: unknown) => e);
      expect(StreamRegistryError.isInstance(error) && error.code).toBe('forbidden');
    }
    const anonymous = await newTask(t.registry, { userId: null });
    await t.registry.completeTask(anonymous.taskId, { status: 'completed', chunks: [] });
    const entries = await collect(await t.registry.subscribe(anonymous.taskId, { userId: 'anyone' }));
    expect(entries.map((e) => e.chunk.type)).toEqual(['finish']);
  });

  it('gives task_not_found, task_expired (chunks left, hash expired) and invalid_cursor', async () => {
    await expect(t.registry.subscribe('never-was')).rejects.toMatchObject({ code: 'task_not_found' });
    const task = await newTask(t.registry);
    const id = await t.registry.publishChunk(task.taskId, { type: 'start' });
    await t.redis.pexpire(t.registry.keys.meta(task.taskId), 20);
    await waitFor(
      async () => (await t.redis.exists(t.registry.keys.meta(task.taskId))) === 0,
      5000,
      'expiry',
    );
    await expect(t.registry.subscribe(task.taskId, { userId: 'user-1' })).rejects.toMatchObject({
      code: 'task_expired',
    });
    const other = await newTask(t.registry);
    await t.registry.publishChunk(other.taskId, { type: 'start' });
    await expect(
      t.registry.subscribe(other.taskId, { userId: 'user-1', lastEventId: 'abc' }),
    ).rejects.toMatchObject({ code: 'invalid_cursor' });
    const future = `${Number(id.split('-')[0]) + 10_000_000}-0`;
    await expect(
      t.registry.subscribe(other.taskId, { userId: 'user-1', lastEventId: future }),
    ).rejects.toMatchObject({ code: 'invalid_cursor' });
  });

  it('a live subscriber whose task expires without a finish ends with task_expired', async () => {
    const task = await newTask(t.registry);
    await t.registry.publishChunk(task.taskId, { type: 'start' });
    const subscription = await t.registry.subscribe(task.taskId, { userId: 'user-1' });
    const result = collect(subscription);
    await t.redis.del(t.registry.keys.meta(task.taskId));
    await expect(result).rejects.toMatchObject({ code: 'task_expired' });
  });

  it('a cursor older than the oldest retained entry gives cursor_trimmed, never a silent gap', async () => {
    const task = await newTask(t.registry);
    const first = await t.registry.publishChunk(task.taskId, { type: 'start' });
    // streamMaxLen is 100: MAXLEN ~ drops whole macro nodes from the head as the stream grows.
    for (let i = 0; i < 400; i += 1) await t.registry.publishChunk(task.taskId, { type: 'data-n', data: i });
    expect(await t.redis.xlen(t.registry.keys.stream(task.taskId))).toBeLessThan(401);
    const head = await t.redis.xrange(t.registry.keys.stream(task.taskId), '-', '+', 'COUNT', 1);
    const oldest = head[0]?.[0];
    for (const lastEventId of [first, undefined]) {
      const error = await t.registry
        .subscribe(task.taskId, { userId: 'user-1', lastEventId })
        .catch((e) => e);
      expect(error).toMatchObject({ code: 'cursor_trimmed', oldestId: oldest });
    }
    // A cursor inside the kept part resumes with exactly what follows it.
    const kept = (await t.redis.xrange(t.registry.keys.stream(task.taskId), '-', '+')).map(([id]) => id);
    const controller = new AbortController();
    const subscription = await t.registry.subscribe(task.taskId, {
      userId: 'user-1',
      lastEventId: kept[0],
      signal: controller.signal,
    });
    const got: StreamEntry[] = [];
    for await (const entry of subscription) {
      got.push(entry);
      if (got.length === kept.length - 1) controller.abort();
    }
    expect(got.map((e) => e.id)).toEqual(kept.slice(1));
    expect(subscription.endReason).toBe('aborted');
  });

  it('a slow subscriber overflows its buffer and gets an error chunk with the cursor to resume from', async () => {
    const task = await newTask(t.registry);
    await t.registry.publishChunk(task.taskId, { type: 'start' });
    const subscription = await t.registry.subscribe(task.taskId, { userId: 'user-1' });
    const iterator = subscription[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value?.chunk.type).toBe('start');
    // Ask for the next entry so the subscriber joins the live tail, then fall far behind it.
    const pending = iterator.next();
    for (let i = 0; i < 40; i += 1) await t.registry.publishChunk(task.taskId, { type: 'data-n', data: i });
    await t.registry.completeTask(task.taskId, { status: 'completed', chunks: [] });
    const got: StreamEntry[] = [];
    let result = await pending;
    while (!result.done) {
      got.push(result.value);
      result = await iterator.next();
    }
    const last = got.at(-1);
    expect(last?.chunk).toMatchObject({ type: 'error', code: 'subscriber_overflow', cursor: last?.id });
    expect(subscription.endReason).toBe('overflow');
    expect(got.length).toBeLessThanOrEqual(1 + 8 + 1);
    const delivered = [first.value as StreamEntry, ...got.slice(0, -1)];
    const rest = await collect(
      await t.registry.subscribe(task.taskId, { userId: 'user-1', lastEventId: last?.id }),
    );
    const all = [...delivered, ...rest].map((e) => e.chunk);
    expect(all).toEqual([
      { type: 'start' },
      ...Array.from({ length: 40 }, (_, i) => ({ type: 'data-n', data: i })),
      { type: 'finish' },
    ]);
  });

  it('an abort signal ends a live subscription and frees its place in the shared reader', async () => {
    const task = await newTask(t.registry);
    const controller = new AbortController();
    const subscription = await t.registry.subscribe(task.taskId, {
      userId: 'user-1',
      signal: controller.signal,
    });
    const result = collect(subscription);
    setTimeout(() => controller.abort(), 50);
    expect(await result).toEqual([]);
    expect(subscription.endReason).toBe('aborted');
  });
});

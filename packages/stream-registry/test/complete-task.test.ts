import { encodeData, MAX_MESSAGE_BYTES } from '@chat/completion-schema';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeChunk } from '../src/chunk-schema.js';
import { MAX_CHUNK_BYTES, StreamRegistryError, type UIMessageChunk } from '../src/index.js';
import { makeRegistry, newTask, openingChunks } from './helpers.js';

function chunksOf(entries: [string, string[]][]): UIMessageChunk[] {
  return entries.map(([, fields]) => JSON.parse(fields[1] as string) as UIMessageChunk);
}

describe.each(['compat', 'cluster'] as const)('publishChunk and completeTask (%s layout)', (layout) => {
  const t = makeRegistry(layout, { ttlSeconds: 300 });
  afterAll(() => t.close());

  it('publishChunk appends validated chunks, returns their ids and refreshes both TTLs', async () => {
    const task = await newTask(t.registry);
    await t.redis.expire(t.registry.keys.meta(task.taskId), 10);
    const ids: string[] = [];
    for (const chunk of openingChunks(task.toolCallId))
      ids.push(await t.registry.publishChunk(task.taskId, chunk));
    const entries = (await t.redis.xrange(t.registry.keys.stream(task.taskId), '-', '+')) as [
      string,
      string[],
    ][];
    expect(entries.map(([id]) => id)).toEqual(ids);
    expect(chunksOf(entries)).toEqual(openingChunks(task.toolCallId));
    expect(await t.redis.ttl(t.registry.keys.meta(task.taskId))).toBeGreaterThan(250);
    expect(await t.redis.ttl(t.registry.keys.stream(task.taskId))).toBeGreaterThan(250);
  });

  it('publishChunk rejects invalid chunks, finish, unknown and finished tasks, writing nothing', async () => {
    const task = await newTask(t.registry);
    const stream = t.registry.keys.stream(task.taskId);
    const bad = [
      { type: 'text-delta', id: 'x' },
      { type: 'nope' },
      { type: 'tool-output-available', output: 1 },
      { type: 'finish' },
    ] as unknown as UIMessageChunk[];
    for (const chunk of bad) {
      const error = await t.registry.publishChunk(task.taskId, chunk).catch((e: unknown) => e);
      expect(StreamRegistryError.isInstance(error) && error.code).toBe('invalid_chunk');
    }
    expect(await t.redis.exists(stream)).toBe(0);
    await expect(t.registry.publishChunk('missing-task', { type: 'start' })).rejects.toMatchObject({
      code: 'task_not_found',
    });
    await t.registry.completeTask(task.taskId, { status: 'completed', chunks: [] });
    await expect(t.registry.publishChunk(task.taskId, { type: 'start-step' })).rejects.toMatchObject({
      code: 'task_not_running',
      status: 'completed',
    });
    expect(await t.redis.xlen(stream)).toBe(1);
  });

  it('50 concurrent completeTask calls: exactly one returns true and the stream holds one finish', async () => {
    const task = await newTask(t.registry);
    await t.registry.publishChunk(task.taskId, { type: 'start' });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        t.registry.completeTask(task.taskId, {
          status: i % 2 === 0 ? 'completed' : 'failed',
          chunks: [{ type: 'tool-output-available', toolCallId: task.toolCallId, output: { attempt: i } }],
          result: JSON.stringify({ attempt: i }),
        }),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    const chunks = chunksOf(
      (await t.redis.xrange(t.registry.keys.stream(task.taskId), '-', '+')) as [string, string[]][],
    );
    expect(chunks.filter((c) => c.type === 'finish')).toHaveLength(1);
    expect(chunks.filter((c) => c.type === 'tool-output-available')).toEqual([
      { type: 'tool-output-available', toolCallId: task.toolCallId, output: { attempt: winner } },
    ]);
    expect(chunks.at(-1)).toEqual({ type: 'finish' });
    const stored = await t.registry.getTask(task.taskId);
    expect(stored).toMatchObject({
      status: winner % 2 === 0 ? 'completed' : 'failed',
      result: JSON.stringify({ attempt: winner }),
    });
    expect(Number.isNaN(Date.parse(stored?.completedAt ?? ''))).toBe(false);
  });

  it('a failed completion stores the error; completing an unknown task is false and writes nothing', async () => {
    const task = await newTask(t.registry);
    const done = await t.registry.completeTask(task.taskId, {
      status: 'failed',
      chunks: [{ type: 'tool-output-error', toolCallId: task.toolCallId, errorText: 'boom' }],
      error: 'boom',
    });
    expect(done).toBe(true);
    expect(await t.registry.getTask(task.taskId)).toMatchObject({ status: 'failed', error: 'boom' });
    expect(await t.registry.completeTask('missing', { status: 'completed', chunks: [] })).toBe(false);
    expect(await t.redis.exists(t.registry.keys.stream('missing'))).toBe(0);
  });

  it('completeTask validates every chunk before writing anything', async () => {
    const task = await newTask(t.registry);
    const bad = { type: 'tool-output-available' } as unknown as UIMessageChunk;
    await expect(
      t.registry.completeTask(task.taskId, { status: 'completed', chunks: [{ type: 'start' }, bad] }),
    ).rejects.toMatchObject({ code: 'invalid_chunk' });
    await expect(
      t.registry.completeTask(task.taskId, { status: 'completed', chunks: [{ type: 'finish' }] }),
    ).rejects.toMatchObject({ code: 'invalid_chunk' });
    expect((await t.registry.getTask(task.taskId))?.status).toBe('running');
    expect(await t.redis.exists(t.registry.keys.stream(task.taskId))).toBe(0);
  });
});

describe('chunk size cap', () => {
  const t = makeRegistry('compat', { ttlSeconds: 300 });
  afterAll(() => t.close());

  it('accepts a tool output of ~0.95 MiB full of quotes and backslashes (escaping doubles it in the chunk)', async () => {
    const task = await newTask(t.registry);
    const output = '"\\'.repeat(Math.floor((0.95 * 1024 * 1024) / 2));
    const done = await t.registry.completeTask(task.taskId, {
      status: 'completed',
      chunks: [{ type: 'tool-output-available', toolCallId: task.toolCallId, output }],
      result: output,
    });
    expect(done).toBe(true);
    const chunks = chunksOf(
      (await t.redis.xrange(t.registry.keys.stream(task.taskId), '-', '+')) as [string, string[]][],
    );
    expect(chunks).toEqual([
      { type: 'tool-output-available', toolCallId: task.toolCallId, output },
      { type: 'finish' },
    ]);
    expect((await t.registry.getTask(task.taskId))?.result).toBe(output);
  });
});

describe('MAX_CHUNK_BYTES', () => {
  it('holds the tool output of a message at the cap whose object result is all quotes and backslashes', () => {
    // The worst case of the derivation: every character of the result's JSON needs escaping in the chunk.
    const base = { operation_id: 'op', task_id: 't', success: true, error: null };
    const overhead = Buffer.byteLength(encodeData({ ...base, result: { v: '' } }));
    // `"` and `\` cost 2 bytes each in the message's JSON.
    const result = { v: '"\\'.repeat(Math.floor((MAX_MESSAGE_BYTES - overhead) / 4)) };
    expect(Buffer.byteLength(encodeData({ ...base, result }))).toBeGreaterThan(MAX_MESSAGE_BYTES - 4);
    const output = JSON.stringify(result);
    const json = encodeChunk({
      type: 'tool-output-available',
      toolCallId: 'c'.repeat(4096),
      output,
    });
    expect(Buffer.byteLength(json)).toBeGreaterThan(2 * MAX_MESSAGE_BYTES - 100);
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(MAX_CHUNK_BYTES);
  });

  it('maxChunkBytes refuses a larger chunk, result or error with too_large, writing nothing', async () => {
    const small = makeRegistry('compat', { maxChunkBytes: 1000 });
    try {
      const task = await newTask(small.registry);
      const big = 'x'.repeat(1000);
      const refusals = [
        small.registry.publishChunk(task.taskId, { type: 'text-delta', id: 't', delta: big }),
        small.registry.completeTask(task.taskId, {
          status: 'completed',
          chunks: [{ type: 'tool-output-available', toolCallId: task.toolCallId, output: big }],
        }),
        small.registry.completeTask(task.taskId, { status: 'completed', chunks: [], result: `${big}!` }),
        small.registry.completeTask(task.taskId, { status: 'failed', chunks: [], error: `${big}!` }),
      ];
      for (const refusal of refusals) {
        const error = await refusal.catch((e: unknown) => e);
        expect(StreamRegistryError.isInstance(error) && error.code).toBe('too_large');
        expect(error).toMatchObject({ limitBytes: 1000 });
        expect((error as StreamRegistryError).sizeBytes).toBeGreaterThan(1000);
      }
      expect((await small.registry.getTask(task.taskId))?.status).toBe('running');
      expect(await small.redis.exists(small.registry.keys.stream(task.taskId))).toBe(0);
      expect(
        await small.registry.completeTask(task.taskId, { status: 'completed', chunks: [], result: big }),
      ).toBe(true);
    } finally {
      await small.close();
    }
  });
});

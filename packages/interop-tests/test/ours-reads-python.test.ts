import { parseTaskTimestamp, StreamRegistry, toSSEResponse } from '@chat/stream-registry';
import { uniquePrefix } from '@chat/testing';
import * as ai5 from 'ai';
import * as ai5Strict from 'ai-v5-strict';
import * as ai7 from 'ai-v7';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type OriginalSide, type OriginalTask, original, pythonSkipReason } from '../src/original.js';

const skip = pythonSkipReason() !== null;

/** Every chunk type the original writes into a task's stream, with the fields it stores beside the protocol's. */
function everyOriginalChunk(toolCallId: string) {
  return [
    { type: 'start', messageId: 'msg-1', sessionId: 'session-1' },
    { type: 'start-step' },
    { type: 'tool-input-start', toolCallId, toolName: 'create_agent' },
    { type: 'tool-input-available', toolCallId, toolName: 'create_agent', input: { goal: 'g' } },
    { type: 'heartbeat', toolCallId },
    { type: 'usage', promptTokens: 10, completionTokens: 5, totalTokens: 15 },
  ];
}

/** The continuation the original streams after the tool output, and its error chunk with code and details. */
const CONTINUATION = [
  { type: 'finish-step' },
  { type: 'start', messageId: 'msg-2' },
  { type: 'start-step' },
  { type: 'text-start', id: 'text-1' },
  { type: 'text-delta', id: 'text-1', delta: 'Your agent ' },
  { type: 'text-delta', id: 'text-1', delta: 'is ready.' },
  { type: 'text-end', id: 'text-1' },
  {
    type: 'error',
    errorText: 'Failed to generate response: rate limited',
    code: 'llm_error',
    details: { retry: 1 },
  },
  { type: 'finish-step' },
  { type: 'finish' },
];

describe.skipIf(skip)('our registry reads what the Python original writes', () => {
  const url = inject('redisUrl');
  const redis = new Redis(url);
  const side: OriginalSide = { url, prefix: uniquePrefix('interop-read') };
  const registry = new StreamRegistry({ redis, keyPrefix: side.prefix, idleCheckMs: 200 });
  afterAll(async () => {
    await registry.close();
    await redis.quit();
  });

  const createOriginalTask = (id: string, extra: Record<string, unknown> = {}) =>
    original<{ task: OriginalTask }>(side, 'create-task', {
      task_id: id,
      session_id: `session-${id}`,
      user_id: 'user-1',
      tool_call_id: `call-${id}`,
      tool_name: 'create_agent',
      operation_id: `op-${id}`,
      ...extra,
    });

  it('every chunk type it writes is served as chunks the AI SDK (ai@5, a strict ai@5, ai@7) accepts and assembles', async () => {
    await createOriginalTask('all', { chunks: everyOriginalChunk('call-all') });
    // Its success path: the tool output and the status, then the continuation, then finish.
    await original(side, 'complete', {
      task_id: 'all',
      success: true,
      result: { agent_id: 'a-1' },
      finish: false,
    });
    await original(side, 'publish-chunks', { task_id: 'all', chunks: CONTINUATION });

    const text = await (await toSSEResponse(registry, 'all', undefined, { userId: 'user-1' })).text();
    const data = [...text.matchAll(/^data: (.*)$/gm)].map((m) => m[1]!);
    expect(data.at(-1)).toBe('[DONE]');
    const sent = data.slice(0, -1).map((d) => JSON.parse(d) as Record<string, unknown>);
    // Stored by the original, not in the protocol: usage dropped, heartbeat a comment, its extra fields left out.
    expect(sent.map((c) => c.type)).not.toContain('usage');
    expect(sent.map((c) => c.type)).not.toContain('heartbeat');
    expect(text).toContain('\n: heartbeat\n');
    expect(sent.filter((c) => c.type === 'start')).toEqual([
      { type: 'start', messageId: 'msg-1' },
      { type: 'start', messageId: 'msg-2' },
    ]);
    expect(sent.find((c) => c.type === 'error')).toEqual({
      type: 'error',
      errorText: 'Failed to generate response: rate limited',
    });
    expect(sent.find((c) => c.type === 'tool-output-available')).toEqual({
      type: 'tool-output-available',
      toolCallId: 'call-all',
      output: '{"agent_id": "a-1"}',
    });

    // ai@5.0.216 validates with z.strictObject: one field it does not declare fails the stream.
    for (const sdk of [ai5, ai5Strict as unknown as typeof ai5, ai7 as unknown as typeof ai5]) {
      const validate = sdk.uiMessageChunkSchema().validate!;
      for (const chunk of sent) expect(await validate(chunk)).toMatchObject({ success: true });
      const chunks = sdk
        .parseJsonEventStream({ stream: new Response(text).body!, schema: sdk.uiMessageChunkSchema })
        .pipeThrough(
          new TransformStream<
            { success: boolean; value?: ai5.UIMessageChunk; error?: unknown },
            ai5.UIMessageChunk
          >({
            transform(result, controller) {
              if (!result.success) throw result.error;
              controller.enqueue(result.value!);
            },
          }),
        );
      const messages: ai5.UIMessage[] = [];
      for await (const m of sdk.readUIMessageStream({ stream: chunks })) messages.push(m);
      // The continuation's own `start` opens the assistant's reply as the SDK's next message state.
      const parts = messages.flatMap((m) => m.parts);
      expect(parts).toContainEqual(
        expect.objectContaining({
          toolCallId: 'call-all',
          state: 'output-available',
          output: '{"agent_id": "a-1"}',
        }),
      );
      expect(messages.at(-1)?.parts).toContainEqual(
        expect.objectContaining({ type: 'text', text: 'Your agent is ready.' }),
      );
    }
  });

  it('getActiveTaskForSession finds the tasks its chat API created, newest first, for their owner only', async () => {
    await createOriginalTask('older', { session_id: 'shared', created_at: pythonNow(-2000) });
    await createOriginalTask('newer', { session_id: 'shared', created_at: pythonNow(-1000) });
    await createOriginalTask('theirs', { session_id: 'shared', user_id: 'user-2' });
    const found = await registry.getActiveTaskForSession('shared', 'user-1');
    expect(found).toMatchObject({
      taskId: 'newer',
      sessionId: 'shared',
      status: 'running',
      userId: 'user-1',
    });
    expect(await registry.getActiveTaskForSession('shared', 'user-2')).toMatchObject({ taskId: 'theirs' });
    expect(await registry.getActiveTaskForSession('shared', 'user-3')).toBeNull();
    // Its created_at (microseconds, +00:00) reads to the instant it wrote.
    expect(parseTaskTimestamp(found!.createdAt)).toBe(Date.parse(found!.createdAt));
    await original(side, 'complete', { task_id: 'newer', success: true, result: 'done' });
    expect(await registry.getActiveTaskForSession('shared', 'user-1')).toMatchObject({ taskId: 'older' });
  });

  it("a live subscriber ends (task_ended) when the original's status change comes without its finish", async () => {
    await createOriginalTask('crashed', { chunks: [{ type: 'start', messageId: 'm' }] });
    const subscription = await registry.subscribe('crashed', { userId: 'user-1' });
    const types: string[] = [];
    const iterated = (async () => {
      for await (const entry of subscription) types.push(entry.chunk.type);
    })();
    // The tool output and the compare-and-set, then the crash before the separate finish XADD.
    await original(side, 'complete', { task_id: 'crashed', success: true, result: 'x', finish: false });
    await iterated;
    expect(types).toEqual(['start', 'tool-output-available']);
    expect(subscription.endReason).toBe('task_ended');
  });
});

/** `datetime.now(timezone.utc).isoformat()` shifted by `offsetMs`. */
function pythonNow(offsetMs: number): string {
  return new Date(Date.now() + offsetMs).toISOString().replace(/\.(\d{3})Z$/, '.$1321+00:00');
}

import {
  DefaultChatTransport,
  parseJsonEventStream,
  readUIMessageStream,
  type UIMessage,
  type UIMessageChunk,
  uiMessageChunkSchema,
} from 'ai';
import { describe, expect, it } from 'vitest';
import { toSSEResponse } from '../src/index.js';
import { makeRegistry, newTask, openingChunks, serveChatApi } from './helpers.js';

/** What the AI SDK's own chat transport does with a response body. */
function chunksOf(body: ReadableStream<Uint8Array>): ReadableStream<UIMessageChunk> {
  return parseJsonEventStream({ stream: body, schema: uiMessageChunkSchema }).pipeThrough(
    new TransformStream({
      transform(result, controller) {
        if (!result.success) throw result.error;
        controller.enqueue(result.value);
      },
    }),
  );
}

async function assemble(stream: ReadableStream<UIMessageChunk>, message?: UIMessage): Promise<UIMessage> {
  let last: UIMessage | undefined;
  for await (const m of readUIMessageStream({ stream, message, terminateOnError: true })) last = m;
  if (!last) throw new Error('no message assembled');
  return last;
}

function toolParts(message: UIMessage) {
  return message.parts.filter((part) => part.type === 'tool-create_agent') as {
    type: string;
    toolCallId: string;
    state: string;
    output?: unknown;
  }[];
}

describe('AI SDK compatibility (ai@5 readUIMessageStream)', () => {
  const t = makeRegistry('compat');
  const api = serveChatApi(t);

  async function createOverHttp(toolCallId: string): Promise<string> {
    const response = await fetch(`${api.url()}/tasks`, {
      method: 'POST',
      headers: { 'x-user-id': 'u1' },
      body: JSON.stringify({ sessionId: 's', toolCallId, toolName: 'create_agent', input: { goal: 'g' } }),
    });
    return ((await response.json()) as { taskId: string }).taskId;
  }

  function transportFor(taskId: string, headers: Record<string, string> = {}) {
    return new DefaultChatTransport({
      api: `${api.url()}/chat`,
      prepareReconnectToStreamRequest: () => ({
        api: `${api.url()}/tasks/${taskId}/stream`,
        headers: { 'x-user-id': 'u1', ...headers },
      }),
    });
  }

  it("the SDK's own transport (reconnectToStream) assembles the tool output", async () => {
    const taskId = await createOverHttp('call-a');
    const stream = await transportFor(taskId).reconnectToStream({ chatId: taskId });
    if (!stream) throw new Error('expected a stream, got 204');
    const message = assemble(stream);
    await t.registry.completeTask(taskId, {
      status: 'completed',
      chunks: [{ type: 'tool-output-available', toolCallId: 'call-a', output: { agentId: 'agent-1' } }],
    });
    const parts = toolParts(await message);
    expect(parts).toEqual([
      expect.objectContaining({
        toolCallId: 'call-a',
        state: 'output-available',
        output: { agentId: 'agent-1' },
      }),
    ]);
  });

  it('after a reconnect with Last-Event-ID mid-stream the message holds the output once', async () => {
    const taskId = await createOverHttp('call-b');
    // First connection: read the opening events, remember the last id, then drop the connection.
    const controller = new AbortController();
    const first = await fetch(`${api.url()}/tasks/${taskId}/stream`, {
      headers: { 'x-user-id': 'u1' },
      signal: controller.signal,
    });
    const reader = first.body?.getReader();
    const received: Uint8Array[] = [];
    let text = '';
    while ((text.match(/\nid: |^id: /g) ?? []).length < 3) {
      const { value } = (await reader?.read()) ?? {};
      if (!value) break;
      received.push(value);
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    const lastId = [...text.matchAll(/id: (\S+)/g)].at(-1)?.[1] as string;
    const partial = await assemble(
      chunksOf(
        new ReadableStream({
          start(c) {
            for (const part of received) c.enqueue(part);
            c.close();
          },
        }),
      ),
    );
    expect(toolParts(partial)).toEqual([
      expect.objectContaining({ toolCallId: 'call-b', state: 'input-available' }),
    ]);

    // The worker completes while the browser is away.
    await t.registry.completeTask(taskId, {
      status: 'completed',
      chunks: [{ type: 'tool-output-available', toolCallId: 'call-b', output: { agentId: 'agent-2' } }],
    });
    const resumed = await transportFor(taskId, { 'last-event-id': lastId }).reconnectToStream({
      chatId: taskId,
    });
    if (!resumed) throw new Error('expected a stream, got 204');
    const message = await assemble(resumed, partial);
    expect(toolParts(message)).toEqual([
      expect.objectContaining({
        toolCallId: 'call-b',
        state: 'output-available',
        output: { agentId: 'agent-2' },
      }),
    ]);
    expect(message.id).toBe(partial.id);

    // Reconnecting after the finish: 204, which the SDK reads as "no active stream".
    const finishId = (await t.redis.xrevrange(t.registry.keys.stream(taskId), '+', '-', 'COUNT', 1))[0]?.[0];
    const after = await transportFor(taskId, { 'last-event-id': finishId as string }).reconnectToStream({
      chatId: taskId,
    });
    expect(after).toBeNull();
  });

  it('a toSSEResponse body parses with the SDK schema too', async () => {
    const task = await newTask(t.registry);
    for (const chunk of openingChunks(task.toolCallId)) await t.registry.publishChunk(task.taskId, chunk);
    await t.registry.completeTask(task.taskId, {
      status: 'failed',
      chunks: [{ type: 'tool-output-error', toolCallId: task.toolCallId, errorText: 'generator failed' }],
      error: 'generator failed',
    });
    const response = await toSSEResponse(t.registry, task.taskId, undefined, { userId: 'user-1' });
    const message = await assemble(chunksOf(response.body as ReadableStream<Uint8Array>));
    expect(toolParts(message)).toEqual([
      expect.objectContaining({
        toolCallId: task.toolCallId,
        state: 'output-error',
        errorText: 'generator failed',
      }),
    ]);
  });
});

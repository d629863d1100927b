import type { ChatTransport as ChatTransport5, UIMessage, UIMessageChunk } from 'ai';
import * as ai5 from 'ai';
import type {
  ChatTransport as ChatTransport7,
  UIMessage as UIMessage7,
  UIMessageChunk as UIMessageChunk7,
} from 'ai-v7';
import * as ai7 from 'ai-v7';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { createResumableChatTransport } from '../src/browser/index.js';
import { toSSEResponse } from '../src/index.js';
import { makeRegistry, newTask, openingChunks, serveChatApi } from './helpers.js';

/**
 * The part of the AI SDK these tests use, typed with ai@5's types; ai@7's functions have the same runtime
 * contract (that is what the tests check), their types differ in generics only.
 */
type Sdk = Pick<
  typeof ai5,
  'DefaultChatTransport' | 'parseJsonEventStream' | 'readUIMessageStream' | 'uiMessageChunkSchema'
>;

// The transport fits both majors' ChatTransport contract as the app passes it to useChat / new Chat.
expectTypeOf(createResumableChatTransport<UIMessageChunk, UIMessage>).returns.toExtend<
  ChatTransport5<UIMessage>
>();
expectTypeOf(createResumableChatTransport<UIMessageChunk7, UIMessage7>).returns.toExtend<
  ChatTransport7<UIMessage7>
>();

describe.each([
  { major: 5, sdk: ai5 as Sdk },
  { major: 7, sdk: ai7 as unknown as Sdk },
])('AI SDK compatibility (ai@$major readUIMessageStream)', ({ sdk }) => {
  const { DefaultChatTransport, parseJsonEventStream, readUIMessageStream, uiMessageChunkSchema } = sdk;

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

    // Reconnecting after the finish: a stream that ends at once, no chunk repeated (not a 204, which an
    // EventSource reports as an error).
    const finishId = (await t.redis.xrevrange(t.registry.keys.stream(taskId), '+', '-', 'COUNT', 1))[0]?.[0];
    const after = await transportFor(taskId, { 'last-event-id': finishId as string }).reconnectToStream({
      chatId: taskId,
    });
    const rest: UIMessageChunk[] = [];
    const tail = (after as ReadableStream<UIMessageChunk>).getReader();
    for (let next = await tail.read(); !next.done; next = await tail.read()) rest.push(next.value);
    expect(rest).toEqual([]);
  });

  it('the resumable transport: reconnectToStream replays the task, sendMessages follows it to the finish', async () => {
    const taskId = await createOverHttp('call-r');
    const created = await fetch(`${api.url()}/tasks/${taskId}/stream`, { headers: { 'x-user-id': 'u1' } });
    await created.body?.cancel();
    const transport = createResumableChatTransport<UIMessageChunk, UIMessage>({
      start: async () => ({ url: `${api.url()}/tasks/${taskId}/stream`, headers: { 'x-user-id': 'u1' } }),
      locate: async ({ chatId }) =>
        chatId === taskId
          ? { url: `${api.url()}/tasks/${taskId}/stream`, headers: { 'x-user-id': 'u1' } }
          : null,
    });
    expect(await transport.reconnectToStream({ chatId: 'other' })).toBeNull();
    const live = assemble(
      await transport.sendMessages({
        trigger: 'submit-message',
        chatId: taskId,
        messageId: undefined,
        messages: [],
        abortSignal: undefined,
      }),
    );
    await t.registry.completeTask(taskId, {
      status: 'completed',
      chunks: [{ type: 'tool-output-available', toolCallId: 'call-r', output: { agentId: 'agent-r' } }],
    });
    const expected = [
      expect.objectContaining({
        toolCallId: 'call-r',
        state: 'output-available',
        output: { agentId: 'agent-r' },
      }),
    ];
    expect(toolParts(await live)).toEqual(expected);
    const replayed = await transport.reconnectToStream({ chatId: taskId });
    expect(toolParts(await assemble(replayed as ReadableStream<UIMessageChunk>))).toEqual(expected);
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

  it('a phased completion with a continuation assembles one message: the tool part, then the text part', async () => {
    const task = await newTask(t.registry);
    for (const chunk of openingChunks(task.toolCallId)) await t.registry.publishChunk(task.taskId, chunk);
    const settled = await t.registry.settleTask(task.taskId, {
      status: 'completed',
      toolCallId: task.toolCallId,
      chunk: { type: 'tool-output-available', toolCallId: task.toolCallId, output: { agentId: 'agent-c' } },
    });
    if (settled.state !== 'settled') throw new Error(`expected settled, got ${settled.state}`);
    const { completion } = settled;
    await completion.markPersisted();
    for (const chunk of [
      { type: 'finish-step' },
      { type: 'start-step' },
      { type: 'text-start', id: 'answer' },
      { type: 'text-delta', id: 'answer', delta: 'Your agent ' },
      { type: 'text-delta', id: 'answer', delta: 'is saved.' },
      { type: 'text-end', id: 'answer' },
    ] as const) {
      await completion.write(chunk);
    }
    await completion.finish({ chunks: [{ type: 'finish-step' }] });
    const response = await toSSEResponse(t.registry, task.taskId, undefined, { userId: 'user-1' });
    const message = await assemble(chunksOf(response.body as ReadableStream<Uint8Array>));
    expect(message.parts.filter((part) => part.type !== 'step-start').map((part) => part.type)).toEqual([
      'tool-create_agent',
      'text',
    ]);
    expect(toolParts(message)).toEqual([
      expect.objectContaining({ state: 'output-available', output: { agentId: 'agent-c' } }),
    ]);
    expect(message.parts.find((part) => part.type === 'text')).toMatchObject({
      text: 'Your agent is saved.',
      state: 'done',
    });
  });
});

function toolParts(message: UIMessage) {
  return message.parts.filter((part) => part.type === 'tool-create_agent') as {
    type: string;
    toolCallId: string;
    state: string;
    output?: unknown;
  }[];
}

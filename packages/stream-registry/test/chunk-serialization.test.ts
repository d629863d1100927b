import { createRequire } from 'node:module';
import type { UIMessageChunk as UIMessageChunk5 } from 'ai';
import * as ai5 from 'ai';
import * as ai5Strict from 'ai-v5-strict';
import type { UIMessageChunk as UIMessageChunk7 } from 'ai-v7';
import * as ai7 from 'ai-v7';
import { afterAll, describe, expect, it } from 'vitest';
import { toSSEResponse, toWireChunk } from '../src/index.js';
import { makeRegistry, newTask } from './helpers.js';

const require = createRequire(import.meta.url);
const versionOf = (name: string) => (require(`${name}/package.json`) as { version: string }).version;
const ai5Version = versionOf('ai');
const ai5StrictVersion = versionOf('ai-v5-strict');
const ai7Version = versionOf('ai-v7');

type Fields<C, T> = keyof Extract<C, { type: T }>;
/** The names the UI message chunk type of both majors declares for `type` T (checked by the compiler). */
type SdkFields<T> = Fields<UIMessageChunk5, T> & Fields<UIMessageChunk7, T>;

/** The names listed must be fields of that chunk type in both majors' `UIMessageChunk`, or this does not compile. */
function fields<T extends string>(_type: T, names: readonly SdkFields<T>[]): readonly string[] {
  return names as readonly string[];
}

// A serializer that sent any field not listed here (toolName on an output, code on an error) fails the subset check.
const SDK_FIELDS: Record<string, readonly string[]> = {
  start: fields('start', ['type', 'messageId', 'messageMetadata']),
  'start-step': fields('start-step', ['type']),
  'finish-step': fields('finish-step', ['type']),
  finish: fields('finish', ['type', 'finishReason', 'messageMetadata']),
  'text-start': fields('text-start', ['type', 'id', 'providerMetadata']),
  'text-delta': fields('text-delta', ['type', 'id', 'delta', 'providerMetadata']),
  'text-end': fields('text-end', ['type', 'id', 'providerMetadata']),
  'tool-input-start': fields('tool-input-start', [
    'type',
    'toolCallId',
    'toolName',
    'providerExecuted',
    'dynamic',
  ]),
  'tool-input-delta': fields('tool-input-delta', ['type', 'toolCallId', 'inputTextDelta']),
  'tool-input-available': fields('tool-input-available', [
    'type',
    'toolCallId',
    'toolName',
    'input',
    'providerExecuted',
    'providerMetadata',
    'dynamic',
  ]),
  'tool-output-available': fields('tool-output-available', [
    'type',
    'toolCallId',
    'output',
    'providerExecuted',
    'dynamic',
    'preliminary',
  ]),
  'tool-output-error': fields('tool-output-error', [
    'type',
    'toolCallId',
    'errorText',
    'providerExecuted',
    'dynamic',
  ]),
  error: fields('error', ['type', 'errorText']),
  'data-progress': fields<`data-${string}`>('data-progress', ['type', 'id', 'data', 'transient']),
};

/** Each chunk type the Python original writes, with the fields it stores beside the protocol's; and ours. */
const STORED: Record<string, unknown>[] = [
  { type: 'start', messageId: 'msg-1', sessionId: 'session-1' },
  { type: 'start-step' },
  { type: 'text-start', id: 't1' },
  { type: 'text-delta', id: 't1', delta: 'Hello' },
  { type: 'text-end', id: 't1' },
  { type: 'tool-input-start', toolCallId: 'call-1', toolName: 'create_agent' },
  { type: 'tool-input-available', toolCallId: 'call-1', toolName: 'create_agent', input: { goal: 'g' } },
  {
    type: 'tool-output-available',
    toolCallId: 'call-1',
    toolName: 'create_agent',
    output: '{"agent_id": "a-1"}',
    success: true,
  },
  { type: 'error', errorText: 'Operation failed', code: 'tool_failed', details: { attempt: 2 } },
  { type: 'finish-step' },
  { type: 'finish' },
  // Ours (the ai-sdk dialect and the chat API's own).
  { type: 'tool-input-delta', toolCallId: 'call-1', inputTextDelta: '{"go' },
  { type: 'tool-output-error', toolCallId: 'call-1', errorText: 'boom' },
  { type: 'data-progress', id: 'p', data: { percent: 50 } },
];

describe.each([
  { version: ai5Version, schema: ai5.uiMessageChunkSchema },
  { version: ai7Version, schema: ai7.uiMessageChunkSchema as unknown as typeof ai5.uiMessageChunkSchema },
])('every stored chunk type against the AI SDK (ai@$version uiMessageChunkSchema)', ({ schema }) => {
  const validator = schema();

  it.each(STORED.map((chunk) => [chunk.type as string, chunk]))(
    '%s → protocol fields only',
    async (type, stored) => {
      const wire = toWireChunk(stored);
      if (wire.kind !== 'chunk') throw new Error(`${type} was not sent: ${JSON.stringify(wire)}`);
      const allowed = SDK_FIELDS[type] ?? [];
      expect(Object.keys(wire.chunk).filter((field) => !allowed.includes(field))).toEqual([]);
      // Every protocol field the chunk had survives.
      for (const field of allowed.filter((name) => name in stored)) {
        expect(wire.chunk).toHaveProperty(field, (stored as Record<string, unknown>)[field]);
      }
      const result = await validator.validate!(wire.chunk);
      expect(result).toMatchObject({ success: true, value: wire.chunk });
    },
  );
});

// ai@5 releases up to 5.0.216 validate every chunk type with z.strictObject: one field they do not declare and the
// AI SDK's transport fails the stream. The serializer's output must pass there; what is stored does not.
describe(`every stored chunk type against a strict AI SDK (ai@${ai5StrictVersion})`, () => {
  const validator = ai5Strict.uiMessageChunkSchema();
  const withExtras = STORED.filter((chunk) =>
    ['start', 'tool-output-available', 'error'].includes(chunk.type as string),
  );

  it.each(STORED.map((chunk) => [chunk.type as string, chunk]))(
    '%s is accepted once serialized',
    async (type, stored) => {
      const wire = toWireChunk(stored);
      if (wire.kind !== 'chunk') throw new Error(`${type} was not sent: ${JSON.stringify(wire)}`);
      expect(await validator.validate!(wire.chunk)).toMatchObject({ success: true });
    },
  );

  it("the original's chunks as stored are refused by it (so the check above can fail)", async () => {
    expect(withExtras).toHaveLength(3);
    for (const stored of withExtras)
      expect(await validator.validate!(stored)).toMatchObject({ success: false });
  });
});

describe('what the protocol has no chunk for', () => {
  it('heartbeat → an SSE comment; usage, unknown types and incomplete chunks → dropped', () => {
    expect(toWireChunk({ type: 'heartbeat', toolCallId: 'call-1' })).toEqual({
      kind: 'comment',
      comment: 'heartbeat',
    });
    expect(
      toWireChunk({ type: 'usage', promptTokens: 1, completionTokens: 2, totalTokens: 3 }),
    ).toMatchObject({ kind: 'dropped', reason: 'not_in_protocol' });
    expect(toWireChunk({ type: 'agent-saved', agent_id: 'a' })).toMatchObject({
      kind: 'dropped',
      reason: 'unknown_type',
    });
    expect(toWireChunk({ type: 'text-delta', id: 't1' })).toMatchObject({
      kind: 'dropped',
      reason: 'invalid',
    });
    expect(toWireChunk({ type: 7 })).toMatchObject({ kind: 'dropped', reason: 'invalid' });
    expect(toWireChunk(null)).toMatchObject({ kind: 'dropped', reason: 'invalid' });
  });
});

describe('SSE serves stored chunks serialized', () => {
  const t = makeRegistry('compat');
  afterAll(() => t.close());

  it('a stream written as the original writes it reaches readUIMessageStream whole', async () => {
    const task = await newTask(t.registry);
    const stream = t.registry.keys.stream(task.taskId);
    const stored = [
      { type: 'start', messageId: 'msg-1', sessionId: task.sessionId },
      { type: 'start-step' },
      { type: 'tool-input-available', toolCallId: task.toolCallId, toolName: 'create_agent', input: {} },
      { type: 'heartbeat', toolCallId: task.toolCallId },
      { type: 'usage', promptTokens: 1, completionTokens: 2, totalTokens: 3 },
      { type: 'agent-saved', agent_id: 'a-1' },
      {
        type: 'tool-output-available',
        toolCallId: task.toolCallId,
        toolName: 'create_agent',
        output: 'done',
        success: true,
      },
      { type: 'finish-step' },
      { type: 'finish' },
    ];
    // Raw XADDs, as the original's publish_chunk writes (no validation on its side).
    for (const chunk of stored) await t.redis.xadd(stream, '*', 'data', JSON.stringify(chunk));
    await t.redis.hset(t.registry.keys.meta(task.taskId), 'status', 'completed');

    const response = await toSSEResponse(t.registry, task.taskId, undefined, { userId: 'user-1' });
    const text = await response.text();
    expect(text).toContain('\n\n: heartbeat\n\n');
    expect(text).not.toMatch(/usage|agent-saved|"success"|sessionId|"toolName":"create_agent","output"/);
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);

    for (const sdk of [ai5, ai7 as unknown as typeof ai5]) {
      const body = new Response(text).body!;
      const chunks = sdk.parseJsonEventStream({ stream: body, schema: sdk.uiMessageChunkSchema }).pipeThrough(
        new TransformStream({
          transform(result, controller) {
            if (!result.success) throw result.error;
            controller.enqueue(result.value);
          },
        }),
      );
      let message: ai5.UIMessage | undefined;
      for await (const m of sdk.readUIMessageStream({ stream: chunks, terminateOnError: true })) message = m;
      expect(message?.id).toBe('msg-1');
      expect(message?.parts).toContainEqual(
        expect.objectContaining({ toolCallId: task.toolCallId, state: 'output-available', output: 'done' }),
      );
    }
  });
});

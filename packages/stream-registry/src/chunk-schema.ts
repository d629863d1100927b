import { MAX_MESSAGE_BYTES } from '@chat/completion-schema';
import { z } from 'zod';
import { FastObjectCheck } from './chunk-fast-check.js';
import { ChunkTooLargeError, InvalidChunkError } from './errors.js';

// Loose objects, as the AI SDK's own schema: unknown fields pass through so newer SDK fields survive a replay.
const providerMetadata = z.record(z.string(), z.record(z.string(), z.unknown())).optional();

/** `start`: opens an assistant message. */
export const startChunkSchema = z.looseObject({
  type: z.literal('start'),
  messageId: z.string().optional(),
  messageMetadata: z.unknown().optional(),
});
/** `start-step`: opens a step (one model call). */
export const startStepChunkSchema = z.looseObject({ type: z.literal('start-step') });
/** `finish-step`: closes a step. */
export const finishStepChunkSchema = z.looseObject({ type: z.literal('finish-step') });
/** `finish`: the last chunk of a task's stream; written only by `completeTask`. */
export const finishChunkSchema = z.looseObject({
  type: z.literal('finish'),
  finishReason: z
    .enum(['stop', 'length', 'content-filter', 'tool-calls', 'error', 'other', 'unknown'])
    .optional(),
  messageMetadata: z.unknown().optional(),
});
/** `text-start`: opens a text part. */
export const textStartChunkSchema = z.looseObject({
  type: z.literal('text-start'),
  id: z.string(),
  providerMetadata,
});
/** `text-delta`: appends to a text part. */
export const textDeltaChunkSchema = z.looseObject({
  type: z.literal('text-delta'),
  id: z.string(),
  delta: z.string(),
  providerMetadata,
});
/** `text-end`: closes a text part. */
export const textEndChunkSchema = z.looseObject({
  type: z.literal('text-end'),
  id: z.string(),
  providerMetadata,
});
/** `tool-input-start`: a tool call begins. */
export const toolInputStartChunkSchema = z.looseObject({
  type: z.literal('tool-input-start'),
  toolCallId: z.string(),
  toolName: z.string(),
  providerExecuted: z.boolean().optional(),
  dynamic: z.boolean().optional(),
});
/** `tool-input-delta`: streamed tool input text. */
export const toolInputDeltaChunkSchema = z.looseObject({
  type: z.literal('tool-input-delta'),
  toolCallId: z.string(),
  inputTextDelta: z.string(),
});
/** `tool-input-available`: the complete tool input. */
export const toolInputAvailableChunkSchema = z.looseObject({
  type: z.literal('tool-input-available'),
  toolCallId: z.string(),
  toolName: z.string(),
  input: z.unknown(),
  providerExecuted: z.boolean().optional(),
  providerMetadata,
  dynamic: z.boolean().optional(),
});
/**
 * `tool-output-available`: the tool's output, what the completion worker writes. `toolName` and `success` are the
 * Python original's additions (its `original` chunk dialect); the registry's SSE leaves them out.
 */
export const toolOutputAvailableChunkSchema = z.looseObject({
  type: z.literal('tool-output-available'),
  toolCallId: z.string(),
  toolName: z.string().optional(),
  output: z.unknown(),
  providerExecuted: z.boolean().optional(),
  dynamic: z.boolean().optional(),
  preliminary: z.boolean().optional(),
  success: z.boolean().optional(),
});
/** `tool-output-error`: the tool failed. */
export const toolOutputErrorChunkSchema = z.looseObject({
  type: z.literal('tool-output-error'),
  toolCallId: z.string(),
  errorText: z.string(),
  providerExecuted: z.boolean().optional(),
  dynamic: z.boolean().optional(),
});
/** `error`: a stream-level error; the registry adds `code` and `cursor` when it cuts a slow subscriber off. */
export const errorChunkSchema = z.looseObject({ type: z.literal('error'), errorText: z.string() });
/** `data-*`: application data parts. */
export const dataChunkSchema = z.looseObject({
  type: z.templateLiteral(['data-', z.string()]),
  id: z.string().optional(),
  data: z.unknown(),
  transient: z.boolean().optional(),
});

/** One chunk of the AI SDK UI message stream protocol (v1), the subset ARCHITECTURE.md lists. */
export const uiMessageChunkSchema = z.union([
  startChunkSchema,
  startStepChunkSchema,
  finishStepChunkSchema,
  finishChunkSchema,
  textStartChunkSchema,
  textDeltaChunkSchema,
  textEndChunkSchema,
  toolInputStartChunkSchema,
  toolInputDeltaChunkSchema,
  toolInputAvailableChunkSchema,
  toolOutputAvailableChunkSchema,
  toolOutputErrorChunkSchema,
  errorChunkSchema,
  dataChunkSchema,
]);

/** A UI message stream chunk as stored in a task's chunk stream and sent over SSE. */
export type UIMessageChunk = z.infer<typeof uiMessageChunkSchema>;

/**
 * Room in {@link MAX_CHUNK_BYTES} for everything of a chunk but its payload: `type`, `toolCallId`, `toolName`,
 * the optional flags and, escaped, ids of a few kilobytes.
 */
const CHUNK_ENVELOPE_BYTES = 64 * 1024;

/**
 * Default cap on one chunk's JSON (and on a stored `result` or `error`), in bytes: twice the completion message
 * cap plus an envelope allowance, `2 × MAX_MESSAGE_BYTES + 64 KiB` = 2 162 688. Sized so that the tool output of
 * every message the completion schema accepts fits: an object result's output is `JSON.stringify(result)`, at
 * most about the message's JSON (the result is part of it), and embedding that string in the chunk escapes each
 * `"` and `\` to two bytes — at most 2×; a string result's escapes are already paid for in the message, so its
 * chunk is at most the message's size. Outputs that still grow past it (numbers such as `1e+20` that
 * `JSON.stringify` writes out in full, a per-tool hook's output) are refused with `too_large`, and the completion
 * worker then fails the task instead of retrying.
 */
export const MAX_CHUNK_BYTES = 2 * MAX_MESSAGE_BYTES + CHUNK_ENVELOPE_BYTES;

/** Throws `too_large` when `text` (a chunk's JSON, a stored result or error) is over `maxBytes` UTF-8 bytes. */
export function assertFits(text: string, maxBytes: number, what: string, taskId?: string): void {
  // UTF-8 needs at most 3 bytes per UTF-16 unit, so most values skip the exact count.
  if (text.length * 3 <= maxBytes) return;
  const sizeBytes = Buffer.byteLength(text, 'utf8');
  if (sizeBytes <= maxBytes) return;
  throw new ChunkTooLargeError(`${what} is ${sizeBytes} bytes, over the ${maxBytes}-byte cap`, {
    taskId,
    sizeBytes,
    limitBytes: maxBytes,
  });
}

/**
 * Validates a chunk and returns its JSON, or throws `invalid_chunk` naming the problem (`too_large` when its JSON
 * is over `maxBytes`). Used before anything is written, so a bad chunk never reaches a browser.
 */
export function encodeChunk(chunk: unknown, maxBytes: number = MAX_CHUNK_BYTES): string {
  // The common chunks (plain fields only) skip zod: the same verdict and output, at a fraction of the cost.
  const data = (fastCheck.parse(chunk) as UIMessageChunk | undefined) ?? parseChunk(chunk);
  const json = JSON.stringify(data);
  assertFits(json, maxBytes, `a ${data.type} chunk`);
  return json;
}

const fastCheck = new FastObjectCheck(uiMessageChunkSchema.options);

function parseChunk(chunk: unknown): UIMessageChunk {
  const parsed = uiMessageChunkSchema.safeParse(chunk);
  if (parsed.success) return parsed.data;
  const type = typeof chunk === 'object' && chunk !== null ? (chunk as { type?: unknown }).type : undefined;
  throw new InvalidChunkError(
    `invalid UI message chunk (type ${JSON.stringify(type)}): ${z.prettifyError(parsed.error)}`,
  );
}

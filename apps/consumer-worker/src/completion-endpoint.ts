import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  ChatPipelineError,
  MessageValidationError,
  type OperationCompleteInput,
  parseMessage,
} from '@chat/completion-schema';

/** Path of the completion endpoint, as in the original: `POST /operations/{operation_id}/complete`. */
export const COMPLETION_PATH = /^\/operations\/([^/]+)\/complete$/;

/** What the completion endpoint needs. */
export interface CompletionEndpointOptions {
  /** The key callers send in `X-API-Key`. */
  apiKey: string;
  /** Largest request body, in bytes; larger ones are refused with 413. */
  maxBodyBytes: number;
  /** Publishes the completion onto the stream (idempotent per `operation_id`); resolves with the entry id. */
  publish(message: OperationCompleteInput): Promise<string>;
  /** The task of an operation, for a body that names no `task_id`. */
  findTaskId(operationId: string): Promise<string | null>;
}

type Reply = (status: number, body: unknown) => void;

/**
 * Serves `POST /operations/{operation_id}/complete` as the original does, but through the stream: checks
 * `X-API-Key` in constant time (401), caps the body (413), validates it as a completion message for the
 * operation (400 with the problems), then publishes it (202 with the entry id; a repeated `operation_id`
 * answers the first entry's id), so an HTTP completion gets the same at-least-once handling, dead-lettering and
 * metrics as one read from the stream. The body is `{success, result?, error?, task_id?}`; without `task_id`
 * the operation's task is looked up (404 when there is none).
 */
export function handleCompletionRequest(
  request: IncomingMessage,
  operationId: string,
  options: CompletionEndpointOptions,
  reply: Reply,
): void {
  if (!keyMatches(request.headers['x-api-key'], options.apiKey)) {
    request.resume();
    reply(401, { error: 'unauthorized' });
    return;
  }
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > options.maxBodyBytes) {
    request.resume();
    reply(413, { error: 'payload_too_large', limitBytes: options.maxBodyBytes });
    return;
  }
  const parts: Buffer[] = [];
  let size = 0;
  let refused = false;
  request.on('data', (part: Buffer) => {
    if (refused) return;
    size += part.length;
    if (size > options.maxBodyBytes) {
      refused = true;
      reply(413, { error: 'payload_too_large', limitBytes: options.maxBodyBytes });
      return;
    }
    parts.push(part);
  });
  request.on('end', () => {
    if (refused) return;
    void accept(Buffer.concat(parts).toString('utf8'), operationId, options).then(
      ([status, body]) => reply(status, body),
      (error: unknown) =>
        reply(503, { error: 'unavailable', detail: error instanceof Error ? error.message : String(error) }),
    );
  });
}

async function accept(
  text: string,
  operationId: string,
  options: CompletionEndpointOptions,
): Promise<[number, unknown]> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return [400, { error: 'invalid_json', detail: (error as Error).message }];
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return [
      400,
      { error: 'schema_violation', problems: [{ path: '', message: 'the body must be an object' }] },
    ];
  }
  const fields = body as Record<string, unknown>;
  if (fields.operation_id !== undefined && fields.operation_id !== operationId) {
    return [
      400,
      {
        error: 'schema_violation',
        problems: [{ path: 'operation_id', message: 'differs from the operation in the path' }],
      },
    ];
  }
  const taskId = fields.task_id ?? (await options.findTaskId(operationId));
  if (taskId === null) return [404, { error: 'task_not_found', operation_id: operationId }];
  const input = { ...fields, operation_id: operationId, task_id: taskId } as OperationCompleteInput;
  try {
    parseMessage(input);
  } catch (error) {
    if (MessageValidationError.isInstance(error)) {
      const problems = error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
      return [400, { error: 'schema_violation', problems }];
    }
    if (ChatPipelineError.isInstance(error)) return [400, { error: error.code, detail: error.message }];
    throw error;
  }
  const entryId = await options.publish(input);
  return [202, { status: 'accepted', operation_id: operationId, entry_id: entryId }];
}

/** Compares the key in constant time; digests first, so neither the length nor a prefix leaks through timing. */
function keyMatches(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== 'string' || given === '') return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamRegistryError } from './errors.js';
import type { StreamRegistry } from './registry.js';
import type { StreamEntry } from './stream-entry.js';
import type { Subscription } from './subscription.js';

/** Headers of every SSE answer: the AI SDK's UI message stream protocol v1, unbuffered by proxies. */
export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  'x-vercel-ai-ui-message-stream': 'v1',
  'x-accel-buffering': 'no',
});

/** Options of {@link toSSEResponse} and {@link writeSSE}. */
export interface SSEOptions {
  /** The caller's user, checked against the task's owner. */
  userId?: string | null;
  /** Resume cursor; when absent it is read from the request (`Last-Event-ID`, then `?cursor=`). */
  lastEventId?: string | null;
  /** Keep-alive comment interval. @defaultValue the registry's `keepAliveMs` (15000) */
  keepAliveMs?: number;
  /** The `retry:` hint. @defaultValue the registry's `retryMs` (3000) */
  retryMs?: number;
  /** Ends the stream early (the web adapter also ends when the body is cancelled). */
  signal?: AbortSignal;
}

/** A request-like value to read a resume cursor from: a web `Request` or a Node `IncomingMessage`. */
export type CursorSource =
  | Request
  | IncomingMessage
  | { headers: Headers | IncomingMessage['headers']; url?: string };

/**
 * The resume cursor of a request: the `Last-Event-ID` header (what EventSource and the AI SDK send), else the
 * `cursor` query parameter; undefined when neither is present.
 */
export function parseResumeCursor(request: CursorSource): string | undefined {
  const headers = request.headers;
  const header =
    typeof (headers as Headers).get === 'function'
      ? (headers as Headers).get('last-event-id')
      : (headers as IncomingMessage['headers'])['last-event-id'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if (fromHeader) return fromHeader.trim();
  if (!request.url) return undefined;
  const cursor = new URL(request.url, 'http://localhost').searchParams.get('cursor');
  return cursor ? cursor.trim() : undefined;
}

/** An answer that is not a stream: status and a small JSON body `{ error, message, ... }`. */
export interface SSEErrorAnswer {
  status: 204 | 400 | 403 | 404 | 410;
  body: Record<string, unknown> | null;
}

/** Maps a registry error to its HTTP answer; other errors are rethrown. */
export function sseErrorAnswer(error: unknown): SSEErrorAnswer {
  if (!StreamRegistryError.isInstance(error)) throw error;
  const body: Record<string, unknown> = { error: error.code, message: error.message };
  switch (error.code) {
    case 'task_not_found':
      return { status: 404, body };
    case 'forbidden':
      return { status: 403, body };
    case 'task_expired':
      return { status: 410, body };
    case 'cursor_trimmed':
      return { status: 410, body: { ...body, oldestId: error.oldestId ?? null } };
    case 'invalid_cursor':
      return { status: 400, body };
    default:
      throw error;
  }
}

function eventFrame({ id, chunk }: StreamEntry): string {
  return `id: ${id}\ndata: ${JSON.stringify(chunk)}\n\n`;
}

type Opened =
  | { kind: 'answer'; answer: SSEErrorAnswer }
  | {
      kind: 'stream';
      iterator: AsyncIterator<StreamEntry>;
      first: IteratorResult<StreamEntry> | undefined;
      subscription: Subscription;
    };

/** Subscribes and decides between an error answer, 204 (a finished task with nothing after the cursor) and a stream. */
async function open(
  registry: StreamRegistry,
  taskId: string,
  options: SSEOptions,
  cursor: string | undefined,
  signal: AbortSignal,
): Promise<Opened> {
  let subscription: Subscription;
  try {
    subscription = await registry.subscribe(taskId, {
      userId: options.userId ?? null,
      lastEventId: cursor,
      signal,
    });
  } catch (error) {
    return { kind: 'answer', answer: sseErrorAnswer(error) };
  }
  const iterator = subscription[Symbol.asyncIterator]();
  if (subscription.task.status === 'running')
    return { kind: 'stream', iterator, first: undefined, subscription };
  // A finished task answers at once: peeking costs no waiting, and an empty remainder is a 204.
  const first = await iterator.next();
  if (first.done) return { kind: 'answer', answer: { status: 204, body: null } };
  return { kind: 'stream', iterator, first, subscription };
}

/**
 * Writes the frames of a subscription: `retry:` first, an `id:`+`data:` event per chunk, keep-alive comments
 * while idle, `data: [DONE]` after `finish`. Without a finish (overflow, abort) it stops without [DONE], so an
 * EventSource reconnects with the last id.
 */
async function pump(
  opened: Extract<Opened, { kind: 'stream' }>,
  write: (text: string) => unknown,
  keepAliveMs: number,
  retryMs: number,
): Promise<void> {
  const timer = setInterval(() => write(': keep-alive\n\n'), keepAliveMs);
  try {
    await write(`retry: ${retryMs}\n\n`);
    let next = opened.first ?? (await opened.iterator.next());
    while (!next.done) {
      await write(eventFrame(next.value));
      next = await opened.iterator.next();
    }
    if (opened.subscription.endReason === 'finish' || opened.subscription.endReason === 'task_ended') {
      await write('data: [DONE]\n\n');
    }
  } catch (error) {
    const errorText = StreamRegistryError.isInstance(error) ? error.code : 'stream failed';
    await write(`data: ${JSON.stringify({ type: 'error', errorText })}\n\n`);
  } finally {
    clearInterval(timer);
  }
}

/**
 * Serves a task's chunks as a web `Response` (fetch handlers, Next.js route handlers): an SSE stream, or
 * 204/400/403/404/410 with a small JSON body.
 */
export async function toSSEResponse(
  registry: StreamRegistry,
  taskId: string,
  request?: Request,
  options: SSEOptions = {},
): Promise<Response> {
  const controller = new AbortController();
  const signals = [controller.signal, options.signal, request?.signal].filter((s): s is AbortSignal => !!s);
  const signal = AbortSignal.any(signals);
  const cursor = options.lastEventId ?? (request ? parseResumeCursor(request) : undefined);
  const opened = await open(registry, taskId, options, cursor, signal);
  if (opened.kind === 'answer') {
    const { status, body } = opened.answer;
    return new Response(body === null ? null : JSON.stringify(body), {
      status,
      headers: body === null ? {} : { 'content-type': 'application/json' },
    });
  }
  const encoder = new TextEncoder();
  const keepAliveMs = options.keepAliveMs ?? registry.options.keepAliveMs;
  const retryMs = options.retryMs ?? registry.options.retryMs;
  const body = new ReadableStream<Uint8Array>({
    start(stream) {
      let open = true;
      const write = (text: string) => {
        if (open) stream.enqueue(encoder.encode(text));
      };
      const finish = () => {
        if (!open) return;
        open = false;
        try {
          stream.close();
        } catch {
          // Already cancelled by the reader.
        }
      };
      void pump(opened, write, keepAliveMs, retryMs).finally(finish);
      signal.addEventListener('abort', finish, { once: true });
    },
    cancel() {
      controller.abort();
    },
  });
  return new Response(body, { status: 200, headers: SSE_HEADERS });
}

/**
 * Serves a task's chunks on a Node `http.ServerResponse`, honouring backpressure; the subscription ends when
 * the client disconnects. Resolves when the response has ended.
 */
export async function writeSSE(
  registry: StreamRegistry,
  taskId: string,
  req: IncomingMessage,
  res: ServerResponse,
  options: SSEOptions = {},
): Promise<void> {
  const controller = new AbortController();
  const onClose = () => controller.abort();
  res.once('close', onClose);
  const signal = options.signal ? AbortSignal.any([controller.signal, options.signal]) : controller.signal;
  const cursor = options.lastEventId ?? parseResumeCursor(req);
  try {
    const opened = await open(registry, taskId, options, cursor, signal);
    if (opened.kind === 'answer') {
      const { status, body } = opened.answer;
      res.writeHead(status, body === null ? {} : { 'content-type': 'application/json' });
      res.end(body === null ? undefined : JSON.stringify(body));
      return;
    }
    res.writeHead(200, { ...SSE_HEADERS, connection: 'keep-alive' });
    res.flushHeaders();
    const write = (text: string): Promise<void> | undefined => {
      if (res.destroyed || res.writableEnded) return undefined;
      if (res.write(text)) return undefined;
      return new Promise((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.once('drain', done);
        res.once('close', done);
      });
    };
    await pump(
      opened,
      write,
      options.keepAliveMs ?? registry.options.keepAliveMs,
      options.retryMs ?? registry.options.retryMs,
    );
    if (!res.writableEnded) res.end();
  } finally {
    res.off('close', onClose);
    controller.abort();
  }
}

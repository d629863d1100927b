import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@chat/completion-schema';
import { toWireChunk } from './chunk-serialization.js';
import { InvalidTokenError, StreamRegistryError } from './errors.js';
import { resolveSSETiming } from './options.js';
import type { StreamRegistry } from './registry.js';
import { corsHeaders, type SSECorsOptions } from './sse-cors.js';
import type { StreamEntry } from './stream-entry.js';
import { verifyStreamToken } from './stream-token.js';
import { caughtUp, hasCaughtUp, type Subscription } from './subscription.js';

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
  /**
   * Require a stream token (see `createStreamToken`) in the request's `?token=` parameter, signed with this secret
   * (or one of these, while rotating): the user is then the token's, `userId` is ignored, and a missing, forged,
   * expired or other task's token is answered 401 `invalid_token`. For browsers, whose EventSource cannot send
   * headers. @defaultValue undefined (no token; the caller passes `userId`)
   */
  tokenSecret?: string | readonly string[];
  /** CORS headers on every answer, and the answer to an `OPTIONS` preflight. @defaultValue undefined (no CORS) */
  cors?: SSECorsOptions;
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

/** The query parameter a stream token travels in. */
export const STREAM_TOKEN_PARAM = 'token';

function headerOf(request: CursorSource | undefined, name: string): string | undefined {
  if (!request) return undefined;
  const headers = request.headers;
  const value =
    typeof (headers as Headers).get === 'function'
      ? (headers as Headers).get(name)
      : (headers as IncomingMessage['headers'])[name];
  return (Array.isArray(value) ? value[0] : value) ?? undefined;
}

/** An answer that is not a stream: status and a small JSON body `{ error, message, ... }`. */
export interface SSEErrorAnswer {
  status: 400 | 401 | 403 | 404 | 410;
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
    case 'invalid_token':
      return { status: 401, body };
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

/**
 * The SSE frame of one stored chunk, serialized by its type to the protocol's fields (see `toWireChunk`): an
 * `id:`+`data:` event, a comment for a heartbeat, or nothing for a chunk the protocol has no place for.
 */
function serializeEntry({ id, chunk }: StreamEntry, logger: Logger): string | undefined {
  const wire = toWireChunk(chunk);
  if (wire.kind === 'chunk') return `id: ${id}\ndata: ${JSON.stringify(wire.chunk)}\n\n`;
  if (wire.kind === 'comment') return `: ${wire.comment}\n\n`;
  if (wire.reason !== 'not_in_protocol') {
    logger.warn(
      { entryId: id, type: wire.type, reason: wire.reason },
      'stream-registry: chunk not sent over SSE',
    );
  }
  return undefined;
}

// The frame of each entry, serialized once however many subscribers it reaches: the shared reader fans one entry
// object out to every live subscriber of its stream, and a replay page's entries are parsed once for everyone who
// replays it. The frame depends on the entry alone (the registry's SSE serves protocol chunks whatever the chunk
// dialect stored, and nothing of a subscriber's own goes into it), and an entry lives only as long as a sink's
// buffer or a kept page holds it: weakly keyed, the cache is gone with its entries. `null`: nothing is sent.
const entryFrames = new WeakMap<StreamEntry, string | null>();

/** {@link serializeEntry}, once per entry. */
function eventFrame(entry: StreamEntry, logger: Logger): string | undefined {
  let frame = entryFrames.get(entry);
  if (frame === undefined) {
    frame = serializeEntry(entry, logger) ?? null;
    entryFrames.set(entry, frame);
  }
  return frame ?? undefined;
}

/** The frame of the registry's own cut-off notice, sent whole: its `code` and `cursor` tell a client where to resume. */
function cutoffFrame({ id, chunk }: StreamEntry): string {
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

/**
 * Authenticates, subscribes, and decides between an error answer and a stream. A finished task with nothing after
 * the cursor is a stream too (it ends at once with `[DONE]`): a 204 is what EventSource reports as a bare error.
 */
async function open(
  registry: StreamRegistry,
  taskId: string,
  options: SSEOptions,
  request: CursorSource | undefined,
  signal: AbortSignal,
): Promise<Opened> {
  const cursor = options.lastEventId ?? (request ? parseResumeCursor(request) : undefined);
  let subscription: Subscription;
  try {
    let userId = options.userId ?? null;
    if (options.tokenSecret !== undefined) {
      const url = request?.url ? new URL(request.url, 'http://localhost') : undefined;
      const token = url?.searchParams.get(STREAM_TOKEN_PARAM);
      if (!token) throw new InvalidTokenError('a stream token is required', { taskId });
      userId = (await verifyStreamToken(token, taskId, options.tokenSecret)).userId;
    }
    subscription = await registry.subscribe(taskId, { userId, lastEventId: cursor, signal });
  } catch (error) {
    return { kind: 'answer', answer: sseErrorAnswer(error) };
  }
  const iterator = subscription[Symbol.asyncIterator]();
  if (subscription.task.status === 'running')
    return { kind: 'stream', iterator, first: undefined, subscription };
  // A finished task answers at once: peeking costs no waiting.
  return { kind: 'stream', iterator, first: await iterator.next(), subscription };
}

// The reason every handler's own controller aborts with once its response is done: `abort()` without one builds a
// DOMException, stack trace and all, per response, which a reconnect storm of thousands pays for in CPU and garbage.
let responseDone: DOMException | undefined;
function responseDoneReason(): DOMException {
  responseDone ??= new DOMException('the SSE response is done', 'AbortError');
  return responseDone;
}

const KEEP_ALIVE = Symbol('keep-alive');
const CAUGHT_UP = Symbol('caught-up');

type Woken = IteratorResult<StreamEntry> | typeof KEEP_ALIVE | typeof CAUGHT_UP;

/**
 * What a stream's frames wait for: the subscription's next entry, the keep-alive interval, or (while a replay's
 * frames are held back) the subscription having caught up, whichever comes first. One timer, re-armed for each
 * wait, instead of a timer made and cleared for every frame of every subscriber; and each pending entry is listened
 * to once, however many keep-alives interrupt the wait for it (racing it anew each time would leave a reaction on
 * it per keep-alive for as long as a stream stays idle).
 */
class FrameWait {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerMs = 0;
  private watched: Promise<IteratorResult<StreamEntry>> | undefined;
  private settled: { value: IteratorResult<StreamEntry> } | { error: unknown } | undefined;
  private resolve: ((woken: Woken) => void) | undefined;
  private reject: ((error: unknown) => void) | undefined;

  /**
   * `pending`'s entry, or KEEP_ALIVE if it takes longer than `ms` (the interval, or {@link HOLD_MS} while frames are
   * held back), or what {@link wake} brings first.
   */
  next(pending: Promise<IteratorResult<StreamEntry>>, ms: number): Promise<Woken> {
    if (pending !== this.watched) {
      this.watched = pending;
      this.settled = undefined;
      pending.then(
        (value) => this.settle(pending, { value }),
        (error: unknown) => this.settle(pending, { error }),
      );
    } else if (this.settled) {
      return 'value' in this.settled
        ? Promise.resolve(this.settled.value)
        : Promise.reject(this.settled.error);
    }
    if (this.timer && this.timerMs === ms) this.timer.refresh();
    else {
      clearTimeout(this.timer);
      this.timerMs = ms;
      this.timer = setTimeout(keepAliveTick, ms, this);
    }
    return new Promise<Woken>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Ends the wait in progress, if any, with `woken`. */
  wake(woken: typeof KEEP_ALIVE | typeof CAUGHT_UP): void {
    const resolve = this.resolve;
    this.resolve = this.reject = undefined;
    resolve?.(woken);
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private settle(pending: Promise<IteratorResult<StreamEntry>>, settled: NonNullable<FrameWait['settled']>) {
    if (pending !== this.watched) return;
    this.settled = settled;
    const { resolve, reject } = this;
    this.resolve = this.reject = undefined;
    if ('value' in settled) resolve?.(settled.value);
    else reject?.(settled.error);
  }
}

function keepAliveTick(wait: FrameWait): void {
  wait.wake(KEEP_ALIVE);
}

/**
 * Frames held back while a subscription catches up are sent once they reach this many characters, so a long
 * replay is written in pieces of about this size (each then waits for the socket to drain if it must).
 */
const BATCH_CHARS = 64 * 1024;

/**
 * Longest a held batch waits for the catch-up to end: then it goes out with a keep-alive comment, so a replay
 * whose pages come slowly still shows progress (and nothing is ever held for a whole keep-alive interval).
 */
const HOLD_MS = 1000;

/**
 * The frames of a subscription, produced only as fast as they are consumed (pull-based, so a slow client holds
 * back the reading instead of growing a buffer): `retry:` first, an `id:`+`data:` event per chunk, keep-alive
 * comments while idle, `data: [DONE]` after `finish`. Without a finish (overflow, abort) it stops without
 * [DONE], so an EventSource reconnects with the last id. Each yield is a batch of frames: while the subscription
 * catches up (its replay), its frames are joined and yielded when it reaches the live tail (or ends, or
 * {@link BATCH_CHARS}), so a reconnect costs one socket write, not one per missed chunk; live chunks are yielded
 * as they come.
 */
async function* frames(
  opened: Extract<Opened, { kind: 'stream' }>,
  keepAliveMs: number,
  retryMs: number,
  logger: Logger,
): AsyncGenerator<string, void, undefined> {
  const { iterator, subscription } = opened;
  let batch = `retry: ${retryMs}\n\n`;
  const wait = new FrameWait();
  let listening = false;
  try {
    let pending: Promise<IteratorResult<StreamEntry>> = opened.first
      ? Promise.resolve(opened.first)
      : iterator.next();
    for (;;) {
      const woken = wait.next(pending, batch ? Math.min(HOLD_MS, keepAliveMs) : keepAliveMs);
      if (!listening) {
        // After the first wait listens to its entry: a finished task's peeked entry then comes before this.
        listening = true;
        caughtUp(subscription).then(() => wait.wake(CAUGHT_UP));
      }
      const next = await woken;
      if (next === KEEP_ALIVE) {
        yield `${batch}: keep-alive\n\n`;
        batch = '';
        continue;
      }
      if (next === CAUGHT_UP) {
        if (batch) yield batch;
        batch = '';
        continue;
      }
      if (next.done) break;
      // The subscription ends with 'overflow' just before it yields its cut-off notice.
      const frame =
        subscription.endReason === 'overflow' ? cutoffFrame(next.value) : eventFrame(next.value, logger);
      if (frame !== undefined) batch += frame;
      if (batch && (batch.length >= BATCH_CHARS || hasCaughtUp(subscription))) {
        yield batch;
        batch = '';
      }
      pending = iterator.next();
    }
    if (subscription.endReason === 'finish' || subscription.endReason === 'task_ended') {
      batch += 'data: [DONE]\n\n';
    }
  } catch (error) {
    const errorText = StreamRegistryError.isInstance(error) ? error.code : 'stream failed';
    batch += `data: ${JSON.stringify({ type: 'error', errorText })}\n\n`;
  } finally {
    wait.stop();
    // Leaves the shared reader even when the consumer stopped pulling mid-stream.
    await iterator.return?.();
  }
  if (batch) yield batch;
}

/**
 * Serves a task's chunks as a web `Response` (fetch handlers, Next.js route handlers): an SSE stream, or
 * 400/401/403/404/410 with a small JSON body; with `cors`, an `OPTIONS` preflight is answered 204.
 */
export async function toSSEResponse(
  registry: StreamRegistry,
  taskId: string,
  request?: Request,
  options: SSEOptions = {},
): Promise<Response> {
  const origin = request?.headers.get('origin');
  if (request?.method === 'OPTIONS' && options.cors) {
    return new Response(null, { status: 204, headers: corsHeaders(options.cors, origin, true) });
  }
  const cors = corsHeaders(options.cors, origin, false);
  const { keepAliveMs, retryMs } = resolveSSETiming(options, registry.options);
  const controller = new AbortController();
  const signals = [controller.signal, options.signal, request?.signal].filter((s): s is AbortSignal => !!s);
  const signal = AbortSignal.any(signals);
  const opened = await open(registry, taskId, options, request, signal);
  if (opened.kind === 'answer') {
    const { status, body } = opened.answer;
    return new Response(body === null ? null : JSON.stringify(body), {
      status,
      headers: body === null ? cors : { ...cors, 'content-type': 'application/json' },
    });
  }
  const encoder = new TextEncoder();
  const source = frames(opened, keepAliveMs, retryMs, registry.options.logger);
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(stream) {
        const next = await source.next();
        if (next.done) stream.close();
        else stream.enqueue(encoder.encode(next.value));
      },
      async cancel() {
        controller.abort(responseDoneReason());
        await source.return();
      },
    },
    { highWaterMark: 1 },
  );
  return new Response(body, { status: 200, headers: { ...SSE_HEADERS, ...cors } });
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
  const origin = headerOf(req, 'origin');
  if (req.method === 'OPTIONS' && options.cors) {
    res.writeHead(204, corsHeaders(options.cors, origin, true)).end();
    return;
  }
  const cors = corsHeaders(options.cors, origin, false);
  const { keepAliveMs, retryMs } = resolveSSETiming(options, registry.options);
  const controller = new AbortController();
  const onClose = () => controller.abort(responseDoneReason());
  res.once('close', onClose);
  const signal = options.signal ? AbortSignal.any([controller.signal, options.signal]) : controller.signal;
  try {
    const opened = await open(registry, taskId, options, req, signal);
    if (opened.kind === 'answer') {
      const { status, body } = opened.answer;
      res.writeHead(status, body === null ? cors : { ...cors, 'content-type': 'application/json' });
      res.end(body === null ? undefined : JSON.stringify(body));
      return;
    }
    res.writeHead(200, { ...SSE_HEADERS, ...cors, connection: 'keep-alive' });
    let headersSent = false;
    const send = (text: string): boolean => {
      if (headersSent) return res.write(text);
      headersSent = true;
      // The headers go out with the first frames (`retry:` and the replay), in one write. Flushed on their own,
      // corked, rather than prepended to the frames: Node then writes its header string by itself, which flattens
      // it, instead of keeping it as the ~30 pieces it was assembled from for the life of the response.
      res.cork();
      res.flushHeaders();
      const ok = res.write(text);
      res.uncork();
      return ok;
    };
    const write = (text: string): Promise<void> | undefined => {
      if (res.destroyed || res.writableEnded) return undefined;
      if (send(text)) return undefined;
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
    for await (const frame of frames(opened, keepAliveMs, retryMs, registry.options.logger)) {
      await write(frame);
      if (res.destroyed) break;
    }
    if (!res.writableEnded) res.end();
  } finally {
    res.off('close', onClose);
    controller.abort(responseDoneReason());
  }
}

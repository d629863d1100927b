// The browser entry takes the kit's id helpers from their own entry: its root pulls in Node-only modules.
import { compareStreamIds } from '@chat/redis-kit/stream-id';
import { TaskStreamError } from './errors.js';
import { resolveTaskStreamRetryOptions, retryDelay, sleep, type TaskStreamRetryOptions } from './retry.js';
import { parseServerSentEvents } from './sse-parser.js';

/** A UI message stream chunk as the browser receives it (validated only as far as having a `type`). */
export interface TaskStreamChunk {
  type: string;
  [field: string]: unknown;
}

/** One chunk of a task's stream with its entry id (the resume cursor). */
export interface TaskStreamEvent {
  id: string;
  chunk: TaskStreamChunk;
}

/** What {@link streamTaskChunks} reports before each retry, for a status line or metrics. */
export interface TaskStreamReconnect {
  /** Failed attempts in a row, 1-based. */
  attempt: number;
  /** Where the next attempt resumes (undefined: from the beginning). */
  lastEventId: string | undefined;
  /** Wait before the next attempt, in ms. */
  delayMs: number;
  /** What went wrong. */
  error: unknown;
}

/** Options of {@link streamTaskChunks}. */
export interface TaskStreamOptions {
  /** Resume after this entry id (what a previous stream of the same task received last). @defaultValue undefined (from the beginning) */
  lastEventId?: string;
  /**
   * How the cursor is sent: `'query'` adds `?cursor=<id>` (a simple GET, no CORS preflight), `'header'` sends
   * `Last-Event-ID` (cross-origin, the server must allow that header in a preflight). @defaultValue 'query'
   */
  cursorIn?: 'query' | 'header';
  /** Extra request headers (a same-origin API may take `authorization` here instead of a stream token). @defaultValue {} */
  headers?: Record<string, string>;
  /** `fetch`'s credentials mode (`'include'` to send cookies cross-origin). @defaultValue 'same-origin' */
  credentials?: RequestCredentials;
  /** Stops the stream; iteration then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Backoff of reconnects. */
  retry?: TaskStreamRetryOptions;
  /** Called before each retry. */
  onReconnect?: (info: TaskStreamReconnect) => void;
  /** The fetch to use. @defaultValue the global `fetch` when the stream starts */
  fetch?: typeof fetch;
}

/** Defaults of {@link TaskStreamOptions}; `fetch` defaults to `globalThis.fetch` as it is when a stream starts. */
export const DEFAULT_TASK_STREAM_OPTIONS = Object.freeze({
  /** @defaultValue 'query' */
  cursorIn: 'query',
  /** @defaultValue 'same-origin' */
  credentials: 'same-origin',
  /** @defaultValue {} */
  headers: Object.freeze({}) as Readonly<Record<string, string>>,
} as const);

/** Applies {@link DEFAULT_TASK_STREAM_OPTIONS} (and reads `globalThis.fetch` when no `fetch` is given). */
function resolveTaskStreamOptions(
  options: TaskStreamOptions,
): Required<Pick<TaskStreamOptions, 'cursorIn' | 'credentials' | 'headers' | 'fetch'>> {
  return {
    headers: options.headers ?? DEFAULT_TASK_STREAM_OPTIONS.headers,
    cursorIn: options.cursorIn ?? DEFAULT_TASK_STREAM_OPTIONS.cursorIn,
    credentials: options.credentials ?? DEFAULT_TASK_STREAM_OPTIONS.credentials,
    fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
  };
}

/** Statuses after which another attempt can succeed: the server is (re)starting or overloaded. */
const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

class Retry extends Error {}

function requestUrl(url: string, cursor: string | undefined, cursorIn: 'query' | 'header'): string {
  if (!cursor || cursorIn !== 'query') return url;
  const base = typeof location === 'undefined' ? 'http://localhost' : location.href;
  const absolute = new URL(url, base);
  absolute.searchParams.set('cursor', cursor);
  return absolute.href;
}

async function errorBody(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

/**
 * A task's chunks over fetch + SSE that survives lost connections: after a network error, a dropped stream or a
 * 5xx it reconnects with backoff and jitter from the last event id it received, so each chunk comes exactly once
 * and in order, until the task's `finish` chunk (or the server's `[DONE]`). A 4xx other than 408/425/429 ends it
 * with `TaskStreamError` code `http_status`; too many failures in a row with `retries_exhausted`.
 *
 * For apps without the AI SDK; {@link createResumableChatTransport} wraps it for `useChat`.
 */
export async function* streamTaskChunks(
  url: string,
  options: TaskStreamOptions = {},
): AsyncGenerator<TaskStreamEvent, void, undefined> {
  const retry = resolveTaskStreamRetryOptions(options.retry);
  const { fetch: doFetch, cursorIn, credentials, headers: extraHeaders } = resolveTaskStreamOptions(options);
  let lastEventId = options.lastEventId;
  let failures = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    let progressed = false;
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream', ...extraHeaders };
      if (lastEventId && cursorIn === 'header') headers['last-event-id'] = lastEventId;
      let response: Response;
      try {
        response = await doFetch(requestUrl(url, lastEventId, cursorIn), {
          headers,
          credentials,
          cache: 'no-store',
          signal: options.signal,
        });
      } catch (error) {
        if (options.signal?.aborted) throw error;
        throw new Retry('network error', { cause: error });
      }
      // An older server answers a reconnect after the finish with 204: nothing more to come.
      if (response.status === 204) return;
      if (!response.ok) {
        const body = await errorBody(response);
        if (RETRYABLE_STATUS.has(response.status)) throw new Retry(`HTTP ${response.status}`);
        throw new TaskStreamError('http_status', `task stream answered HTTP ${response.status}`, {
          status: response.status,
          body,
          lastEventId,
        });
      }
      const type = response.headers.get('content-type') ?? '';
      if (!type.startsWith('text/event-stream') || !response.body) {
        throw new TaskStreamError('protocol', `task stream answered ${type || 'no content type'}`, {
          status: response.status,
          lastEventId,
        });
      }
      try {
        for await (const event of parseServerSentEvents(response.body)) {
          if (event.data === '[DONE]') return;
          let chunk: TaskStreamChunk;
          try {
            chunk = JSON.parse(event.data) as TaskStreamChunk;
          } catch (error) {
            throw new TaskStreamError('protocol', 'task stream sent data that is not JSON', {
              lastEventId,
              cause: error,
            });
          }
          if (typeof chunk !== 'object' || chunk === null || typeof chunk.type !== 'string') {
            throw new TaskStreamError('protocol', 'task stream sent a chunk without a type', { lastEventId });
          }
          // A subscriber that fell behind is cut off with its cursor: resume from there, silently.
          if (chunk.type === 'error' && chunk.code === 'subscriber_overflow') break;
          if (event.id === undefined) {
            yield { id: lastEventId ?? '', chunk };
            continue;
          }
          // Never twice: a replay after a reconnect starts after the cursor, but a proxy may repeat.
          if (lastEventId && compareStreamIds(event.id, lastEventId) <= 0) continue;
          lastEventId = event.id;
          progressed = true;
          failures = 0;
          yield { id: event.id, chunk };
          if (chunk.type === 'finish') return;
        }
      } catch (error) {
        if (TaskStreamError.isInstance(error) || options.signal?.aborted) throw error;
        throw new Retry('stream broke', { cause: error });
      }
      throw new Retry('stream ended before finish');
    } catch (error) {
      if (!(error instanceof Retry)) throw error;
      if (!progressed) failures += 1;
      if (failures > retry.maxRetries) {
        throw new TaskStreamError('retries_exhausted', `task stream failed ${failures} times in a row`, {
          lastEventId,
          cause: error.cause ?? error,
        });
      }
      const delayMs = retryDelay(retry, Math.max(failures, 1));
      options.onReconnect?.({
        attempt: Math.max(failures, 1),
        lastEventId,
        delayMs,
        error: error.cause ?? error,
      });
      await sleep(delayMs, options.signal);
    }
  }
}

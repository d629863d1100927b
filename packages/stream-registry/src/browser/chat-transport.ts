import { streamTaskChunks, type TaskStreamChunk, type TaskStreamOptions } from './task-stream.js';

/** Where a task's SSE stream is: its URL (a stream token in it, for browsers) and extra headers. */
export interface TaskStreamLocation {
  url: string;
  headers?: Record<string, string>;
}

/** What the AI SDK passes to a transport's `sendMessages` (the fields of its `ChatTransport` contract). */
export interface SendMessagesRequest<MESSAGE> {
  trigger: 'submit-message' | 'regenerate-message';
  chatId: string;
  messageId: string | undefined;
  messages: MESSAGE[];
  abortSignal: AbortSignal | undefined;
  headers?: Record<string, string> | Headers;
  body?: object;
  metadata?: unknown;
}

/** What the AI SDK passes to a transport's `reconnectToStream`. */
export interface ReconnectToStreamRequest {
  chatId: string;
  abortSignal?: AbortSignal;
  headers?: Record<string, string> | Headers;
  body?: object;
  metadata?: unknown;
}

/** Options of {@link createResumableChatTransport}. */
export interface ResumableChatTransportOptions<MESSAGE>
  extends Omit<TaskStreamOptions, 'lastEventId' | 'signal' | 'headers'> {
  /**
   * Starts the assistant's turn on your chat API (for example `POST /chat`) and says where the task's stream is.
   */
  start(request: SendMessagesRequest<MESSAGE>): Promise<TaskStreamLocation>;
  /**
   * The stream of the chat's running (or just finished) task, or null when there is none: what `useChat({ resume:
   * true })` reconnects to after a page load. Without it, `reconnectToStream` answers null.
   */
  locate?(request: ReconnectToStreamRequest): Promise<TaskStreamLocation | null>;
}

/**
 * The AI SDK's `ChatTransport` shape (ai@5 and ai@7), typed by the chunk and message types of the `ai` version
 * the app uses.
 */
export interface ResumableChatTransport<CHUNK, MESSAGE> {
  /** A reconnect replays the task's stream from its beginning (ai@7 then resets the message it builds). */
  readonly resumeStreamIsReplay: true;
  sendMessages(request: SendMessagesRequest<MESSAGE>): Promise<ReadableStream<CHUNK>>;
  reconnectToStream(request: ReconnectToStreamRequest): Promise<ReadableStream<CHUNK> | null>;
}

/** A pull-based stream over the resumable chunk iterator: nothing is fetched ahead of what the SDK reads. */
function toChunkStream<CHUNK>(
  location: TaskStreamLocation,
  options: Omit<TaskStreamOptions, 'headers'>,
): ReadableStream<CHUNK> {
  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
  const events = streamTaskChunks(location.url, { ...options, headers: location.headers, signal });
  return new ReadableStream<CHUNK>(
    {
      async pull(stream) {
        try {
          const next = await events.next();
          if (next.done) stream.close();
          else stream.enqueue(next.value.chunk as TaskStreamChunk as CHUNK);
        } catch (error) {
          stream.error(error);
        }
      },
      async cancel(reason) {
        controller.abort(reason);
        await events.return();
      },
    },
    { highWaterMark: 1 },
  );
}

/**
 * A chat transport for the AI SDK (`useChat({ transport })`, `new Chat({ transport })`) whose streams survive
 * lost connections and chat-API restarts: each resumes from the last event id it received until the task's
 * `finish`, every chunk once and in order, with bounded retries (backoff and jitter; see `streamTaskChunks`).
 *
 * ```ts
 * import type { UIMessage, UIMessageChunk } from 'ai';
 * const transport = createResumableChatTransport<UIMessageChunk, UIMessage>({
 *   start: async ({ chatId, messages }) => {
 *     const r = await fetch('/chat', { method: 'POST', body: JSON.stringify({ chatId, messages }) });
 *     return { url: (await r.json()).streamUrl };
 *   },
 *   locate: async ({ chatId }) => fetch(`/chat/${chatId}/stream`).then((r) => (r.ok ? r.json() : null)),
 * });
 * ```
 */
export function createResumableChatTransport<CHUNK = TaskStreamChunk, MESSAGE = unknown>(
  options: ResumableChatTransportOptions<MESSAGE>,
): ResumableChatTransport<CHUNK, MESSAGE> {
  const { start, locate, ...streamOptions } = options;
  return {
    resumeStreamIsReplay: true,
    async sendMessages(request) {
      const location = await start(request);
      return toChunkStream<CHUNK>(location, { ...streamOptions, signal: request.abortSignal });
    },
    async reconnectToStream(request) {
      const location = locate ? await locate(request) : null;
      if (!location) return null;
      return toChunkStream<CHUNK>(location, { ...streamOptions, signal: request.abortSignal });
    },
  };
}

// The browser side of @chat/stream-registry: no Node imports, no dependencies. Import it as
// '@chat/stream-registry/browser'.
export {
  createResumableChatTransport,
  type ReconnectToStreamRequest,
  type ResumableChatTransport,
  type ResumableChatTransportOptions,
  type SendMessagesRequest,
  type TaskStreamLocation,
} from './chat-transport.js';
export { TaskStreamError, type TaskStreamErrorCode } from './errors.js';
export {
  DEFAULT_TASK_STREAM_RETRY_OPTIONS,
  type ResolvedTaskStreamRetryOptions,
  resolveTaskStreamRetryOptions,
  retryDelay,
  type TaskStreamRetryOptions,
} from './retry.js';
export { parseServerSentEvents, type ServerSentEvent } from './sse-parser.js';
export {
  DEFAULT_TASK_STREAM_OPTIONS,
  streamTaskChunks,
  type TaskStreamChunk,
  type TaskStreamEvent,
  type TaskStreamOptions,
  type TaskStreamReconnect,
} from './task-stream.js';

export {
  dataChunkSchema,
  errorChunkSchema,
  finishChunkSchema,
  finishStepChunkSchema,
  MAX_CHUNK_BYTES,
  startChunkSchema,
  startStepChunkSchema,
  textDeltaChunkSchema,
  textEndChunkSchema,
  textStartChunkSchema,
  toolInputAvailableChunkSchema,
  toolInputDeltaChunkSchema,
  toolInputStartChunkSchema,
  toolOutputAvailableChunkSchema,
  toolOutputErrorChunkSchema,
  type UIMessageChunk,
  uiMessageChunkSchema,
} from './chunk-schema.js';
export {
  ChunkTooLargeError,
  CursorTrimmedError,
  ForbiddenError,
  InvalidChunkError,
  InvalidCursorError,
  InvalidInputError,
  RegistryClosedError,
  StreamRegistryError,
  type StreamRegistryErrorCode,
  type StreamRegistryErrorDetails,
  StreamRegistryOptionsError,
  TaskExistsError,
  TaskExpiredError,
  TaskNotFoundError,
  TaskNotRunningError,
} from './errors.js';
export {
  DEFAULT_STREAM_REGISTRY_OPTIONS,
  type KeyLayout,
  type ResolvedStreamRegistryOptions,
  type StreamRegistryOptions,
} from './options.js';
export {
  type CompleteTaskInput,
  createStreamRegistry,
  StreamRegistry,
  type SubscribeOptions,
} from './registry.js';
export {
  type CursorSource,
  parseResumeCursor,
  SSE_HEADERS,
  type SSEErrorAnswer,
  type SSEOptions,
  sseErrorAnswer,
  toSSEResponse,
  writeSSE,
} from './sse.js';
export type { StreamEntry } from './stream-entry.js';
export type { Subscription, SubscriptionEndReason } from './subscription.js';
export type { ActiveTask, CreateTaskInput, TaskLookup, TaskStatus } from './task.js';

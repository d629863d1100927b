export {
  CHUNK_DIALECTS,
  type ChunkDialect,
  type ToolChunkTarget,
  toolFailureChunk,
  toolOutputChunk,
} from './chunk-dialect.js';
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
  HEARTBEAT_COMMENT,
  NON_PROTOCOL_CHUNK_TYPES,
  toWireChunk,
  type WireChunk,
} from './chunk-serialization.js';
export {
  ChunkTooLargeError,
  CursorTrimmedError,
  ForbiddenError,
  InvalidChunkError,
  InvalidCursorError,
  InvalidInputError,
  InvalidTokenError,
  NotOwnerError,
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
  DEFAULT_CHUNK_DIALECT,
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
  STREAM_TOKEN_PARAM,
  sseErrorAnswer,
  toSSEResponse,
  writeSSE,
} from './sse.js';
export { DEFAULT_SSE_CORS_OPTIONS, type SSECorsOptions } from './sse-cors.js';
export type { StreamEntry } from './stream-entry.js';
export {
  type CreateStreamTokenOptions,
  createStreamToken,
  DEFAULT_STREAM_TOKEN_OPTIONS,
  DEFAULT_STREAM_TOKEN_TTL_SECONDS,
  type StreamTokenClaims,
  verifyStreamToken,
} from './stream-token.js';
export type { Subscription, SubscriptionEndReason } from './subscription.js';
export type { ActiveTask, CreateTaskInput, TaskLookup, TaskStatus } from './task.js';
export type {
  CompletionPhase,
  FinishTaskInput,
  SettleOutcome,
  SettleTaskInput,
  TaskCompletion,
} from './task-completion.js';
export { parseTaskTimestamp } from './task-timestamp.js';

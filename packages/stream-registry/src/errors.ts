import { ChatPipelineError } from '@chat/completion-schema';

/** Machine-readable reasons a registry call fails; callers branch on these, never on message text. */
export type StreamRegistryErrorCode =
  | 'task_not_found'
  | 'task_expired'
  | 'task_exists'
  | 'forbidden'
  | 'cursor_trimmed'
  | 'invalid_cursor'
  | 'invalid_token'
  | 'task_not_running'
  | 'not_owner'
  | 'invalid_chunk'
  | 'too_large'
  | 'invalid_input'
  | 'invalid_options'
  | 'closed';

/** Extra facts an error carries, so a caller can act without parsing the message. */
export interface StreamRegistryErrorDetails {
  taskId?: string;
  /** The task's status when `task_not_running`. */
  status?: string;
  /** The cursor the caller gave when `cursor_trimmed` or `invalid_cursor`. */
  cursor?: string;
  /** Oldest entry still in the chunk stream when `cursor_trimmed` (null when the stream is empty). */
  oldestId?: string | null;
  /** Size in bytes of what was refused when `too_large`. */
  sizeBytes?: number;
  /** The cap it broke when `too_large` (`maxChunkBytes`). */
  limitBytes?: number;
  /** The offending option when `invalid_options` (the first, when several are wrong). */
  option?: string;
  cause?: unknown;
}

const MARKER = 'chat.pipeline.error.stream_registry';

/**
 * Base of every error `@chat/stream-registry` throws: one class per code below, all sharing these facts, so a
 * caller can catch the family (`StreamRegistryError.isInstance`) and branch on `code`, or test one class. The SSE
 * adapter maps each code to an HTTP status.
 */
export class StreamRegistryError<
  Code extends StreamRegistryErrorCode = StreamRegistryErrorCode,
> extends ChatPipelineError<Code> {
  readonly taskId: string | undefined;
  readonly status: string | undefined;
  readonly cursor: string | undefined;
  readonly oldestId: string | null | undefined;
  readonly sizeBytes: number | undefined;
  readonly limitBytes: number | undefined;
  readonly option: string | undefined;

  protected constructor(code: Code, message: string, details: StreamRegistryErrorDetails = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.taskId = details.taskId;
    this.status = details.status;
    this.cursor = details.cursor;
    this.oldestId = details.oldestId;
    this.sizeBytes = details.sizeBytes;
    this.limitBytes = details.limitBytes;
    this.option = details.option;
    ChatPipelineError.mark(this, MARKER);
  }

  /** True for a registry error from any installed copy of this package. */
  static override isInstance(error: unknown): error is StreamRegistryError {
    return ChatPipelineError.hasMarker(error, MARKER);
  }
}

const TASK_NOT_FOUND_MARKER = 'chat.pipeline.error.stream_registry.task_not_found';

/** `task_not_found`: no task hash and no chunk stream for the task id: it never existed here. */
export class TaskNotFoundError extends StreamRegistryError<'task_not_found'> {
  constructor(message: string, details: StreamRegistryErrorDetails = {}) {
    super('task_not_found', message, details);
    ChatPipelineError.mark(this, TASK_NOT_FOUND_MARKER);
  }

  /** True for a TaskNotFoundError from any installed copy of this package. */
  static override isInstance(error: unknown): error is TaskNotFoundError {
    return ChatPipelineError.hasMarker(error, TASK_NOT_FOUND_MARKER);
  }
}

const TASK_EXPIRED_MARKER = 'chat.pipeline.error.stream_registry.task_expired';

/** `task_expired`: the task existed but its hash expired (TTL), or it expired while subscribed. */
export class TaskExpiredError extends StreamRegistryError<'task_expired'> {
  constructor(message: string, details: StreamRegistryErrorDetails = {}) {
    super('task_expired', message, details);
    ChatPipelineError.mark(this, TASK_EXPIRED_MARKER);
  }

  /** True for a TaskExpiredError from any installed copy of this package. */
  static override isInstance(error: unknown): error is TaskExpiredError {
    return ChatPipelineError.hasMarker(error, TASK_EXPIRED_MARKER);
  }
}

const TASK_EXISTS_MARKER = 'chat.pipeline.error.stream_registry.task_exists';

/** `task_exists`: `createTask` for a task id that is already registered. */
export class TaskExistsError extends StreamRegistryError<'task_exists'> {
  constructor(message: string, details: StreamRegistryErrorDetails = {}) {
    super('task_exists', message, details);
    ChatPipelineError.mark(this, TASK_EXISTS_MARKER);
  }

  /** True for a TaskExistsError from any installed copy of this package. */
  static override isInstance(error: unknown): error is TaskExistsError {
    return ChatPipelineError.hasMarker(error, TASK_EXISTS_MARKER);
  }
}

const FORBIDDEN_MARKER = 'chat.pipeline.error.stream_registry.forbidden';

/** `forbidden`: the task belongs to another user than the one subscribing. */
export class ForbiddenError extends StreamRegistryError<'forbidden'> {
  constructor(message: string, details: StreamRegistryErrorDetails = {}) {
    super('forbidden', message, details);
    ChatPipelineError.mark(this, FORBIDDEN_MARKER);
  }

  /** True for a ForbiddenError from any installed copy of this package. */
  static override isInstance(error: unknown): error is ForbiddenError {
    return ChatPipelineError.hasMarker(error, FORBIDDEN_MARKER);
  }
}

const INVALID_TOKEN_MARKER = 'chat.pipeline.error.stream_registry.invalid_token';

/** `invalid_token`: a stream token is missing, malformed, forged, expired or for another task. */
export class InvalidTokenError extends StreamRegistryError<'invalid_token'> {
  constructor(message: string, details: StreamRegistryErrorDetails = {}) {
    super('invalid_token', message, details);
    ChatPipelineError.mark(this, INVALID_TOKEN_MARKER);
  }

  /** True for an InvalidTokenError from any installed copy of this package. */
  static override isInstance(error: unknown): error is InvalidTokenError {
    return ChatPipelineError.hasMarker(error, INVALID_TOKEN_MARKER);
  }
}

const CURSOR_TRIMMED_MARKER = 'chat.pipeline.error.stream_registry.cursor_trimmed';

/** `cursor_trimmed`: resuming after the cursor would skip trimmed entries; `oldestId` is the oldest one kept. */
export class CursorTrimmedError extends StreamRegistryError<'cursor_trimmed'> {
  constructor(message: string, details: StreamRegistryErrorDetails = {}) {
    super('cursor_trimmed', message, details);
    ChatPipelineError.mark(this, CURSOR_TRIMMED_MARKER);
  }

  /** True for a CursorTrimmedError from any installed copy of this package. */
  static override isInstance(error: unknown): error is CursorTrimmedError {
    return ChatPipelineError.hasMarker(error, CURSOR_TRIMMED_MARKER);
  }
}

const INVALID_CURSOR_MARKER = 'chat.pipeline.error.stream_registry.invalid_cursor';

/** `invalid_cursor`: the resume cursor is not a stream id, or lies beyond the stream. */
export class InvalidCursorError extends StreamRegistryError<'invalid_cursor'> {
  constructor(message: string, details: StreamRegistryErrorDetails = {}) {
    super('invalid_cursor', message, details);
    ChatPipelineError.mark(this, INVALID_CURSOR_MARKER);
  }

  /** True for a InvalidCursorError from any installed copy of this package. */
  static override isInstance(error: unknown): error is InvalidCursorError {
    return ChatPipelineError.hasMarker(error, INVALID_CURSOR_MARKER);
  }
}

const TASK_NOT_RUNNING_MARKER = 'chat.pipeline.error.stream_registry.task_not_running';

/** `task_not_running`: the task is no longer `running` (`status` says what it is), so it cannot be settled again. */
export class TaskNotRunningError extends StreamRegistryError<'task_not_running'> {
  constructor(message: string, details: StreamRegistryErrorDetails = {}) {
    super('task_not_running', message, details);
    ChatPipelineError.mark(this, TASK_NOT_RUNNING_MARKER);
  }

  /** True for a TaskNotRunningError from any installed copy of this package. */
  static override isInstance(error: unknown): error is TaskNotRunningError {
    return ChatPipelineError.hasMarker(error, TASK_NOT_RUNNING_MARKER);
  }
}

const NOT_OWNER_MARKER = 'chat.pipeline.error.stream_registry.not_owner';

/**
 * `not_owner`: a completion step (a continuation chunk, a phase, the finish) came from a worker that no longer owns
 * the task's completion: its lease ran out and another worker took the completion over. Nothing was written.
 */
export class NotOwnerError extends StreamRegistryError<'not_owner'> {
  constructor(message: string, details: StreamRegistryErrorDetails = {}) {
    super('not_owner', message, details);
    ChatPipelineError.mark(this, NOT_OWNER_MARKER);
  }

  /** True for a NotOwnerError from any installed copy of this package. */
  static override isInstance(error: unknown): error is NotOwnerError {
    return ChatPipelineError.hasMarker(error, NOT_OWNER_MARKER);
  }
}

const INVALID_CHUNK_MARKER = 'chat.pipeline.error.stream_registry.invalid_chunk';

/** `invalid_chunk`: a chunk does not follow the UI message stream protocol. */
export class InvalidChunkError extends StreamRegistryError<'invalid_chunk'> {
  constructor(message: string, details: StreamRegistryErrorDetails = {}) {
    super('invalid_chunk', message, details);
    ChatPipelineError.mark(this, INVALID_CHUNK_MARKER);
  }

  /** True for a InvalidChunkError from any installed copy of this package. */
  static override isInstance(error: unknown): error is InvalidChunkError {
    return ChatPipelineError.hasMarker(error, INVALID_CHUNK_MARKER);
  }
}

const TOO_LARGE_MARKER = 'chat.pipeline.error.stream_registry.too_large';

/** `too_large`: a chunk, result or error is over `maxChunkBytes` (`sizeBytes`, `limitBytes`); nothing was written. */
export class ChunkTooLargeError extends StreamRegistryError<'too_large'> {
  constructor(message: string, details: StreamRegistryErrorDetails = {}) {
    super('too_large', message, details);
    ChatPipelineError.mark(this, TOO_LARGE_MARKER);
  }

  /** True for a ChunkTooLargeError from any installed copy of this package. */
  static override isInstance(error: unknown): error is ChunkTooLargeError {
    return ChatPipelineError.hasMarker(error, TOO_LARGE_MARKER);
  }
}

const INVALID_INPUT_MARKER = 'chat.pipeline.error.stream_registry.invalid_input';

/** `invalid_input`: an argument cannot work (an empty id, a subscription iterated twice, …). */
export class InvalidInputError extends StreamRegistryError<'invalid_input'> {
  constructor(message: string, details: StreamRegistryErrorDetails = {}) {
    super('invalid_input', message, details);
    ChatPipelineError.mark(this, INVALID_INPUT_MARKER);
  }

  /** True for a InvalidInputError from any installed copy of this package. */
  static override isInstance(error: unknown): error is InvalidInputError {
    return ChatPipelineError.hasMarker(error, INVALID_INPUT_MARKER);
  }
}

const INVALID_OPTIONS_MARKER = 'chat.pipeline.error.stream_registry.invalid_options';

/** `invalid_options`: the registry options are invalid; `option` names the first offending one, the message lists every problem. */
export class StreamRegistryOptionsError extends StreamRegistryError<'invalid_options'> {
  constructor(message: string, details: StreamRegistryErrorDetails = {}) {
    super('invalid_options', message, details);
    ChatPipelineError.mark(this, INVALID_OPTIONS_MARKER);
  }

  /** True for a StreamRegistryOptionsError from any installed copy of this package. */
  static override isInstance(error: unknown): error is StreamRegistryOptionsError {
    return ChatPipelineError.hasMarker(error, INVALID_OPTIONS_MARKER);
  }
}

const CLOSED_MARKER = 'chat.pipeline.error.stream_registry.closed';

/** `closed`: the registry was used after `close()`. */
export class RegistryClosedError extends StreamRegistryError<'closed'> {
  constructor(message: string, details: StreamRegistryErrorDetails = {}) {
    super('closed', message, details);
    ChatPipelineError.mark(this, CLOSED_MARKER);
  }

  /** True for a RegistryClosedError from any installed copy of this package. */
  static override isInstance(error: unknown): error is RegistryClosedError {
    return ChatPipelineError.hasMarker(error, CLOSED_MARKER);
  }
}

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
  | 'invalid_chunk'
  | 'too_large'
  | 'invalid_input'
  | 'invalid_options'
  | 'unsupported'
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
  cause?: unknown;
}

const MARKER = 'chat.pipeline.error.stream_registry';

/**
 * Every error `@chat/stream-registry` throws. A single class with a `code` union keeps `isInstance` checks simple
 * and still lets the SSE adapter map each code to an HTTP status.
 */
export class StreamRegistryError extends ChatPipelineError<StreamRegistryErrorCode> {
  readonly taskId: string | undefined;
  readonly status: string | undefined;
  readonly cursor: string | undefined;
  readonly oldestId: string | null | undefined;
  readonly sizeBytes: number | undefined;
  readonly limitBytes: number | undefined;

  constructor(code: StreamRegistryErrorCode, message: string, details: StreamRegistryErrorDetails = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.taskId = details.taskId;
    this.status = details.status;
    this.cursor = details.cursor;
    this.oldestId = details.oldestId;
    this.sizeBytes = details.sizeBytes;
    this.limitBytes = details.limitBytes;
    ChatPipelineError.mark(this, MARKER);
  }

  /** True for a registry error from any installed copy of this package. */
  static override isInstance(error: unknown): error is StreamRegistryError {
    return ChatPipelineError.hasMarker(error, MARKER);
  }
}

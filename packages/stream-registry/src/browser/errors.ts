/** Why a task stream in the browser gave up; branch on these, never on message text. */
export type TaskStreamErrorCode =
  /** The server answered a status that retrying cannot change (400, 401, 403, 404, 410, …). */
  | 'http_status'
  /** Every retry failed (the server stayed unreachable or kept failing). */
  | 'retries_exhausted'
  /** The server answered something that is not a UI message chunk stream. */
  | 'protocol'
  /** Options out of range. */
  | 'invalid_options';

const MARKER = Symbol.for('chat.pipeline.error.task_stream');

/**
 * The error a browser task stream ends with. Marked with a `Symbol.for` key so `isInstance` holds across
 * bundles and duplicate installs.
 */
export class TaskStreamError extends Error {
  /** Machine-readable reason. */
  readonly code: TaskStreamErrorCode;
  /** The HTTP status when `http_status`. */
  readonly status: number | undefined;
  /** The server's JSON error body when it sent one (`{ error, message }`). */
  readonly body: unknown;
  /** The last event id received: where a later attempt would resume. */
  readonly lastEventId: string | undefined;

  constructor(
    code: TaskStreamErrorCode,
    message: string,
    details: { status?: number; body?: unknown; lastEventId?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TaskStreamError';
    this.code = code;
    this.status = details.status;
    this.body = details.body;
    this.lastEventId = details.lastEventId;
    Object.defineProperty(this, MARKER, { value: true });
  }

  /** True for a TaskStreamError from any copy of this module. */
  static isInstance(error: unknown): error is TaskStreamError {
    return typeof error === 'object' && error !== null && MARKER in error;
  }
}

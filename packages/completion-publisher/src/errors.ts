import {
  ChatPipelineError,
  type MessageTooDeepError,
  type MessageTooLargeError,
  type MessageValidationError,
} from '@chat/completion-schema';

/** Codes of the errors this package adds on top of the schema package's `schema_violation`, `too_large`, `too_deep`. */
export type PublishErrorCode =
  | 'invalid_options'
  | 'invalid_batch'
  | 'redis_unavailable'
  | 'publish_timeout'
  | 'replication_timeout'
  | 'redis_error'
  | 'publisher_closed';

/** The `Symbol.for` name of every marker below starts with it (one spelling of the shared prefix in the bundle). */
const MARKER = 'chat.pipeline.error.';

const OPTIONS_MARKER = `${MARKER}publisher_options`;

/**
 * The publisher was configured wrongly (for example both `redis` and `url`, or a non-positive count); the message
 * names the option and what is allowed.
 */
export class PublisherOptionsError extends ChatPipelineError<'invalid_options'> {
  /** The offending option, dotted for nested ones (`maxLen.count`); undefined when not one option. */
  readonly option: string | undefined;

  constructor(message: string, options: { option?: string } = {}) {
    super('invalid_options', message);
    this.option = options.option;
    ChatPipelineError.mark(this, OPTIONS_MARKER);
  }

  /** True for a PublisherOptionsError from any copy of this package. */
  static override isInstance(error: unknown): error is PublisherOptionsError {
    return ChatPipelineError.hasMarker(error, OPTIONS_MARKER);
  }
}

/** One message of a batch that failed validation, by its position in the array given to `publishMany`. */
export interface BatchFailure {
  index: number;
  error: MessageValidationError | MessageTooLargeError | MessageTooDeepError;
}

const BATCH_MARKER = `${MARKER}invalid_batch`;

/**
 * At least one message of a `publishMany` batch is invalid or too large, so none was sent. `failures` lists every
 * bad message with its index, so the caller can fix or drop exactly those.
 */
export class InvalidBatchError extends ChatPipelineError<'invalid_batch'> {
  readonly failures: BatchFailure[];

  constructor(failures: BatchFailure[], batchSize: number) {
    const shown = failures
      .slice(0, 5)
      .map((f) => `#${f.index}: ${f.error.message}`)
      .join('; ');
    const more = failures.length > 5 ? `; and ${failures.length - 5} more` : '';
    super(
      'invalid_batch',
      `${failures.length} of ${batchSize} messages are invalid, nothing was sent: ${shown}${more}`,
    );
    this.failures = failures;
    ChatPipelineError.mark(this, BATCH_MARKER);
  }

  static override isInstance(error: unknown): error is InvalidBatchError {
    return ChatPipelineError.hasMarker(error, BATCH_MARKER);
  }
}

const UNAVAILABLE_MARKER = `${MARKER}redis_unavailable`;

/**
 * Redis could not be reached (refused, closed, gave up reconnecting). The message names the server (`host:port`)
 * and why; `cause` is the underlying error, for a connection created from `url` the socket's own (its `code` is
 * e.g. `ECONNREFUSED`). Whether the entry was written is unknown when the connection dropped mid-command; with
 * idempotency on, retrying is safe.
 */
export class RedisUnavailableError extends ChatPipelineError<'redis_unavailable'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('redis_unavailable', message, options);
    ChatPipelineError.mark(this, UNAVAILABLE_MARKER);
  }

  static override isInstance(error: unknown): error is RedisUnavailableError {
    return ChatPipelineError.hasMarker(error, UNAVAILABLE_MARKER);
  }
}

const TIMEOUT_MARKER = `${MARKER}publish_timeout`;

/**
 * No answer from Redis within `timeoutMs`. The entry may or may not have been written; with idempotency on,
 * retrying is safe and returns the first entry's id.
 */
export class PublishTimeoutError extends ChatPipelineError<'publish_timeout'> {
  readonly timeoutMs: number;

  constructor(timeoutMs: number, options?: { cause?: unknown }) {
    super('publish_timeout', `no answer from Redis within ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
    ChatPipelineError.mark(this, TIMEOUT_MARKER);
  }

  static override isInstance(error: unknown): error is PublishTimeoutError {
    return ChatPipelineError.hasMarker(error, TIMEOUT_MARKER);
  }
}

const REPLICATION_MARKER = `${MARKER}replication_timeout`;

/**
 * The entry was written on the master but fewer replicas than `waitForReplicas.replicas` confirmed it in time, so
 * a failover could still lose it. Retrying is safe with idempotency on: it returns the same id and waits again.
 */
export class ReplicationTimeoutError extends ChatPipelineError<'replication_timeout'> {
  readonly replicas: number;
  readonly acknowledged: number;

  constructor(replicas: number, acknowledged: number) {
    super('replication_timeout', `${acknowledged} of ${replicas} replicas confirmed the entry in time`);
    this.replicas = replicas;
    this.acknowledged = acknowledged;
    ChatPipelineError.mark(this, REPLICATION_MARKER);
  }

  static override isInstance(error: unknown): error is ReplicationTimeoutError {
    return ChatPipelineError.hasMarker(error, REPLICATION_MARKER);
  }
}

const REDIS_ERROR_MARKER = `${MARKER}redis_error`;

/** Redis answered with an error (for example WRONGTYPE when the stream key holds something else). */
export class RedisCommandError extends ChatPipelineError<'redis_error'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('redis_error', message, options);
    ChatPipelineError.mark(this, REDIS_ERROR_MARKER);
  }

  static override isInstance(error: unknown): error is RedisCommandError {
    return ChatPipelineError.hasMarker(error, REDIS_ERROR_MARKER);
  }
}

const CLOSED_MARKER = `${MARKER}publisher_closed`;

/** `publish` was called after `close()`; a closed publisher never reconnects. */
export class PublisherClosedError extends ChatPipelineError<'publisher_closed'> {
  constructor() {
    super('publisher_closed', 'the publisher is closed');
    ChatPipelineError.mark(this, CLOSED_MARKER);
  }

  static override isInstance(error: unknown): error is PublisherClosedError {
    return ChatPipelineError.hasMarker(error, CLOSED_MARKER);
  }
}

/** Where a publish went, for error messages: the server and its connection's last error, if any. */
export interface ConnectionContext {
  /** `host:port` (or the socket path, or `Redis Cluster`). */
  endpoint: string;
  /** The last error the connection reported since it was last ready (e.g. `connect ECONNREFUSED …`). */
  connectionError?: Error | undefined;
}

/**
 * Turns what ioredis rejected with into one of our typed errors. ioredis is only a peer dependency, so errors
 * are recognised by name and message rather than by importing its classes. A command that gave up because the
 * connection is down says only that ("Reached the max retries per request limit"), so the connection's own error
 * becomes the message and the `cause`.
 */
export function toPublishError(
  error: unknown,
  timeoutMs: number,
  context: ConnectionContext,
): ChatPipelineError {
  if (ChatPipelineError.isInstance(error)) return error;
  const err = error instanceof Error ? error : new Error(String(error));
  if (err.name === 'ReplyError')
    return new RedisCommandError(`Redis refused the command: ${err.message}`, { cause: err });
  if (err.message === 'Command timed out') return new PublishTimeoutError(timeoutMs, { cause: err });
  const cause = context.connectionError ?? err;
  const why = cause === err ? err.message : `${cause.message} (${err.message})`;
  return new RedisUnavailableError(`Redis at ${context.endpoint} is unavailable: ${why}`, { cause });
}

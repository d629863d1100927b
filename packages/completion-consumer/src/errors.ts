import { ChatPipelineError } from '@chat/completion-schema';

/**
 * Codes of the errors this package throws or reports: `permanent_error` ({@link PermanentError}) and
 * `retryable_error` ({@link RetryableError}) from handlers, `invalid_options` ({@link ConsumerOptionsError}),
 * `read_watchdog` ({@link ReadWatchdogError}, on the consumer's `error` event).
 */
export type ConsumerErrorCode = 'permanent_error' | 'retryable_error' | 'invalid_options' | 'read_watchdog';

const PERMANENT_MARKER = 'chat.pipeline.error.permanent';
const RETRYABLE_MARKER = 'chat.pipeline.error.retryable';
const OPTIONS_MARKER = 'chat.pipeline.error.consumer_options';
const WATCHDOG_MARKER = 'chat.pipeline.error.read_watchdog';

/** Options for {@link PermanentError} and {@link RetryableError}. */
export interface HandlerErrorOptions {
  /** The dead-letter `reason` recorded for the entry. */
  reason?: string;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * Thrown by a handler to dead-letter the entry at once, without retries: the message can never succeed (for
 * example it refers to something that is invalid, not merely missing yet).
 */
export class PermanentError extends ChatPipelineError<'permanent_error'> {
  /** Dead-letter reason, `permanent_error` unless given. */
  readonly reason: string;

  constructor(message: string, options: HandlerErrorOptions = {}) {
    super('permanent_error', message, { cause: options.cause });
    this.reason = options.reason ?? 'permanent_error';
    ChatPipelineError.mark(this, PERMANENT_MARKER);
  }

  /** True for a PermanentError (or subclass) from any copy of this package. */
  static override isInstance(error: unknown): error is PermanentError {
    return ChatPipelineError.hasMarker(error, PERMANENT_MARKER);
  }
}

/**
 * Thrown by a handler for a failure that may pass (for example a task not registered yet). It is retried like
 * any error, but when it happens on the last allowed delivery the entry is dead-lettered with this `reason`
 * instead of `max_deliveries`, so the dead-letter stream says why.
 */
export class RetryableError extends ChatPipelineError<'retryable_error'> {
  /** Dead-letter reason used when the deliveries run out, `max_deliveries` unless given. */
  readonly reason: string;

  constructor(message: string, options: HandlerErrorOptions = {}) {
    super('retryable_error', message, { cause: options.cause });
    this.reason = options.reason ?? 'max_deliveries';
    ChatPipelineError.mark(this, RETRYABLE_MARKER);
  }

  /** True for a RetryableError (or subclass) from any copy of this package. */
  static override isInstance(error: unknown): error is RetryableError {
    return ChatPipelineError.hasMarker(error, RETRYABLE_MARKER);
  }
}

/**
 * The consumer options are invalid (a number out of its range, a dead-letter stream in another hash slot, …);
 * the message names the option and what is allowed.
 */
export class ConsumerOptionsError extends ChatPipelineError<'invalid_options'> {
  /** The offending option, dotted for nested ones (`reconnectBackoff.maxMs`); undefined when not one option. */
  readonly option: string | undefined;

  constructor(message: string, options: { option?: string } = {}) {
    super('invalid_options', message);
    this.option = options.option;
    ChatPipelineError.mark(this, OPTIONS_MARKER);
  }

  /** True for a ConsumerOptionsError from any copy of this package. */
  static override isInstance(error: unknown): error is ConsumerOptionsError {
    return ChatPipelineError.hasMarker(error, OPTIONS_MARKER);
  }
}

/**
 * A blocking XREADGROUP outlived BLOCK plus slack (a half-open socket, or a command re-sent after a reconnect), so
 * its connection was replaced; reported on the consumer's `error` event, and the consumer keeps reading.
 */
export class ReadWatchdogError extends ChatPipelineError<'read_watchdog'> {
  /** How long the read was allowed (BLOCK plus slack), in ms. */
  readonly watchdogMs: number;

  constructor(watchdogMs: number) {
    super('read_watchdog', `XREADGROUP did not return within ${watchdogMs} ms; connection replaced`);
    this.watchdogMs = watchdogMs;
    ChatPipelineError.mark(this, WATCHDOG_MARKER);
  }

  /** True for a ReadWatchdogError from any copy of this package. */
  static override isInstance(error: unknown): error is ReadWatchdogError {
    return ChatPipelineError.hasMarker(error, WATCHDOG_MARKER);
  }
}

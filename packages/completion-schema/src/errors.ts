import type { z } from 'zod';

const BASE_MARKER = 'chat.pipeline.error';

function hasMarker(value: unknown, marker: string): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[Symbol.for(marker)] === true
  );
}

/**
 * Base class of every error the chat pipeline packages throw. Checks use `isInstance` (a `Symbol.for` marker),
 * so they hold even when two copies of a package are installed; branch on `code`, never on the message.
 */
export class ChatPipelineError<Code extends string = string> extends Error {
  /** Machine-readable error code. */
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, Symbol.for(BASE_MARKER), { value: true });
  }

  /** True for any error thrown by a chat pipeline package, whichever copy of it threw. */
  static isInstance(error: unknown): error is ChatPipelineError {
    return hasMarker(error, BASE_MARKER);
  }

  /** Marks `instance` with `marker`; subclasses call it from their constructor. */
  protected static mark(instance: object, marker: string): void {
    Object.defineProperty(instance, Symbol.for(marker), { value: true });
  }

  /** True when `error` carries `marker`. */
  protected static hasMarker(error: unknown, marker: string): boolean {
    return hasMarker(error, marker);
  }
}

/**
 * Codes of the errors this package throws: `schema_violation` ({@link MessageValidationError}), `too_large`
 * ({@link MessageTooLargeError}), `too_deep` ({@link MessageTooDeepError}).
 */
export type SchemaErrorCode = 'schema_violation' | 'too_large' | 'too_deep';

const VALIDATION_MARKER = 'chat.pipeline.error.message_validation';

/** A message does not satisfy the wire contract. `issues` are zod's; `message` summarises them for a human. */
export class MessageValidationError extends ChatPipelineError<'schema_violation'> {
  readonly issues: z.core.$ZodIssue[];

  constructor(summary: string, issues: z.core.$ZodIssue[]) {
    super('schema_violation', `invalid operation-complete message: ${summary}`);
    this.issues = issues;
    ChatPipelineError.mark(this, VALIDATION_MARKER);
  }

  static override isInstance(error: unknown): error is MessageValidationError {
    return ChatPipelineError.hasMarker(error, VALIDATION_MARKER);
  }
}

const TOO_LARGE_MARKER = 'chat.pipeline.error.message_too_large';

/** The encoded message is larger than the size cap. */
export class MessageTooLargeError extends ChatPipelineError<'too_large'> {
  readonly sizeBytes: number;
  readonly limitBytes: number;

  constructor(sizeBytes: number, limitBytes: number) {
    super('too_large', `encoded message is ${sizeBytes} bytes, over the ${limitBytes}-byte cap`);
    this.sizeBytes = sizeBytes;
    this.limitBytes = limitBytes;
    ChatPipelineError.mark(this, TOO_LARGE_MARKER);
  }

  static override isInstance(error: unknown): error is MessageTooLargeError {
    return ChatPipelineError.hasMarker(error, TOO_LARGE_MARKER);
  }
}

const TOO_DEEP_MARKER = 'chat.pipeline.error.message_too_deep';

/**
 * The message's `result` nests deeper than the depth limit (`MAX_RESULT_DEPTH`), so it is refused before any
 * recursive code (redaction, `JSON.stringify`) could run out of stack on it.
 */
export class MessageTooDeepError extends ChatPipelineError<'too_deep'> {
  /** How many levels `result` nests (the result object itself is level 1). */
  readonly depth: number;
  /** The most levels allowed. */
  readonly limitDepth: number;

  constructor(depth: number, limitDepth: number) {
    super('too_deep', `result is nested ${depth} levels deep, over the ${limitDepth}-level limit`);
    this.depth = depth;
    this.limitDepth = limitDepth;
    ChatPipelineError.mark(this, TOO_DEEP_MARKER);
  }

  static override isInstance(error: unknown): error is MessageTooDeepError {
    return ChatPipelineError.hasMarker(error, TOO_DEEP_MARKER);
  }
}

import { ChatPipelineError } from '@chat/completion-schema';

/**
 * Codes of the errors this package throws: `invalid_config` ({@link OpsConfigError}), `invalid_usage`
 * ({@link UsageError}), `not_found` ({@link NotFoundError}), `wrong_layout` ({@link KeyLayoutError}).
 */
export type OpsErrorCode = 'invalid_config' | 'invalid_usage' | 'not_found' | 'wrong_layout';

const CONFIG_MARKER = 'chat.pipeline.error.ops_config';

/** Bad connection variables: one line per problem, all at once, in `problems`. */
export class OpsConfigError extends ChatPipelineError<'invalid_config'> {
  readonly problems: string[];

  constructor(problems: string[]) {
    super('invalid_config', `invalid configuration: ${problems.join('; ')}`);
    this.problems = problems;
    ChatPipelineError.mark(this, CONFIG_MARKER);
  }

  /** True for an OpsConfigError from any copy of this package. */
  static override isInstance(error: unknown): error is OpsConfigError {
    return ChatPipelineError.hasMarker(error, CONFIG_MARKER);
  }
}

const USAGE_MARKER = 'chat.pipeline.error.ops_usage';

/** A command line the CLI cannot run: unknown command or flag, a missing or malformed argument. */
export class UsageError extends ChatPipelineError<'invalid_usage'> {
  constructor(message: string) {
    super('invalid_usage', message);
    ChatPipelineError.mark(this, USAGE_MARKER);
  }

  /** True for a UsageError from any copy of this package. */
  static override isInstance(error: unknown): error is UsageError {
    return ChatPipelineError.hasMarker(error, USAGE_MARKER);
  }
}

const NOT_FOUND_MARKER = 'chat.pipeline.error.ops_not_found';

/** What a command names does not exist: a dead letter, a task. */
export class NotFoundError extends ChatPipelineError<'not_found'> {
  constructor(message: string) {
    super('not_found', message);
    ChatPipelineError.mark(this, NOT_FOUND_MARKER);
  }

  /** True for a NotFoundError from any copy of this package. */
  static override isInstance(error: unknown): error is NotFoundError {
    return ChatPipelineError.hasMarker(error, NOT_FOUND_MARKER);
  }
}

const LAYOUT_MARKER = 'chat.pipeline.error.ops_layout';

/** The Redis reached does not match the configured layout, e.g. a cluster node addressed as a single server. */
export class KeyLayoutError extends ChatPipelineError<'wrong_layout'> {
  constructor(message: string) {
    super('wrong_layout', message);
    ChatPipelineError.mark(this, LAYOUT_MARKER);
  }

  /** True for a KeyLayoutError from any copy of this package. */
  static override isInstance(error: unknown): error is KeyLayoutError {
    return ChatPipelineError.hasMarker(error, LAYOUT_MARKER);
  }
}

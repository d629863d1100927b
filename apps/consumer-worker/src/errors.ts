import { ChatPipelineError } from '@chat/completion-schema';

/**
 * Codes of the errors the worker adds (besides those of the packages it composes): `invalid_config`
 * ({@link ConfigError}), `invalid_options` ({@link WorkerOptionsError}), `missing_permissions`
 * ({@link RedisPermissionError}).
 */
export type WorkerErrorCode = 'invalid_config' | 'invalid_options' | 'missing_permissions';

const CONFIG_MARKER = 'chat.pipeline.error.worker_config';

/** Thrown by `loadConfig`: one line per bad environment variable, all at once, in `problems`. */
export class ConfigError extends ChatPipelineError<'invalid_config'> {
  readonly problems: string[];

  constructor(problems: string[]) {
    super('invalid_config', `invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
    ChatPipelineError.mark(this, CONFIG_MARKER);
  }

  /** True for a ConfigError from any copy of this package. */
  static override isInstance(error: unknown): error is ConfigError {
    return ChatPipelineError.hasMarker(error, CONFIG_MARKER);
  }
}

const OPTIONS_MARKER = 'chat.pipeline.error.worker_options';

/**
 * Options given in code (`createWorker`, the webhook) cannot work; the message names the option and what is
 * allowed, `option` names the option.
 */
export class WorkerOptionsError extends ChatPipelineError<'invalid_options'> {
  /** The offending option, dotted for nested ones (`config.redisUrl`); undefined when not one option. */
  readonly option: string | undefined;

  constructor(message: string, options: { option?: string } = {}) {
    super('invalid_options', message);
    this.option = options.option;
    ChatPipelineError.mark(this, OPTIONS_MARKER);
  }

  /** True for a WorkerOptionsError from any copy of this package. */
  static override isInstance(error: unknown): error is WorkerOptionsError {
    return ChatPipelineError.hasMarker(error, OPTIONS_MARKER);
  }
}

const PERMISSION_MARKER = 'chat.pipeline.error.redis_permission';

/** The Redis user may not run a command the worker needs (ACL). `missing` names each command and its keys. */
export class RedisPermissionError extends ChatPipelineError<'missing_permissions'> {
  readonly missing: string[];

  constructor(missing: string[]) {
    super(
      'missing_permissions',
      `the Redis user lacks permission for: ${missing.join('; ')} (see "Redis permissions" in the worker README)`,
    );
    this.missing = missing;
    ChatPipelineError.mark(this, PERMISSION_MARKER);
  }

  /** True for a RedisPermissionError from any copy of this package. */
  static override isInstance(error: unknown): error is RedisPermissionError {
    return ChatPipelineError.hasMarker(error, PERMISSION_MARKER);
  }
}

import type { Logger, OperationCompleteMessage } from '@chat/completion-schema';
import type { ActiveTask } from '@chat/stream-registry';

/** What a per-tool hook is given. */
export interface ToolHookContext {
  task: ActiveTask;
  message: OperationCompleteMessage;
  /** Aborted at the worker's shutdown deadline. */
  signal: AbortSignal;
  logger: Logger;
}

/**
 * Per-tool work that runs before the task is completed, e.g. saving the generated agent for `create_agent`.
 * A hook that throws makes the message retry (throw `PermanentError` to dead-letter it instead). A redelivered
 * message can run a hook again before the completion is recorded, so hooks must be idempotent.
 */
export interface ToolHook {
  onSuccess?(context: ToolHookContext & { result: OperationCompleteMessage['result'] }): Promise<void>;
  onFailure?(context: ToolHookContext & { error: string }): Promise<void>;
}

/** Hooks by tool name. */
export type ToolHooks = Readonly<Record<string, ToolHook>>;

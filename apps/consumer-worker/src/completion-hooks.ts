import type { Logger, OperationCompleteMessage } from '@chat/completion-schema';
import type { ActiveTask, UIMessageChunk } from '@chat/stream-registry';

/** What every hook is given. */
export interface CompletionHookContext {
  /** The task as found before the completion. */
  task: ActiveTask;
  /** The completion message. */
  message: OperationCompleteMessage;
  /** Aborted at the worker's shutdown deadline: stop then (the message stays pending and is taken over). */
  signal: AbortSignal;
  /** The consumer's logger, bound to the message's entry. */
  logger: Logger;
}

/** What `transform` may return: a replaced result, or a failure instead of the success. */
export type TransformOutcome =
  | { success: true; result: OperationCompleteMessage['result'] }
  | { success: false; error: string };

/**
 * Appends the assistant's continuation to the task's chunk stream. Each chunk is validated against the chunk
 * schema (`invalid_chunk` otherwise) and written only while this worker owns the completion: after another
 * worker took it over, `write` throws `not_owner` and writes nothing.
 */
export interface ContinuationWriter {
  write(chunk: UIMessageChunk): Promise<void>;
}

/**
 * The application's part of one completion, in phase order (each optional):
 *
 * 1. `transform` (success only, before anything is written): replace the result (e.g. save the generated agent and
 *    answer `agent_saved`), or return `{ success: false, error }` to fail the task instead. It may run again when
 *    a message is redelivered before the settle, so make it idempotent.
 * 2. the worker settles the task: the tool chunk is appended, exactly once.
 * 3. `persist` (success) stores the tool message in the chat history; `failure` does the same for a failed
 *    operation. Throw `RetryableError` for a transient problem: the message is retried and the settle is not
 *    repeated. Any other error, or a transient one on the last delivery, ends the success path the original's way
 *    (an `error` chunk "Failed to save operation result to database", task `failed`, no continuation); on the
 *    failure path it is logged and the task still finishes `failed`.
 * 4. `continue` (success, after `persist`) streams the assistant's answer through `writer`. An error → an
 *    `error` chunk "Failed to generate response: …", open parts are closed and the task still finishes
 *    `completed`. If the worker dies during it, the worker taking over does not repeat it (the user saw part of
 *    the answer): it closes what was left open with an `error` chunk and finishes; a continuation that had
 *    not written a chunk yet is run again.
 * 5. the worker finishes the task: status, `completed_at`, the `finish` chunk, exactly once, last.
 */
export interface CompletionHooks {
  transform?(
    context: CompletionHookContext & { result: OperationCompleteMessage['result'] },
  ): Promise<TransformOutcome | undefined>;
  persist?(context: CompletionHookContext & { output: string }): Promise<void>;
  failure?(context: CompletionHookContext & { error: string }): Promise<void>;
  continue?(context: CompletionHookContext & { output: string; writer: ContinuationWriter }): Promise<void>;
}

/** Hooks by tool name, and a default for every tool; a tool's own hook wins over the default's, per hook. */
export interface CompletionHookRegistry {
  /** Hooks for every tool (e.g. `persist` and `continue`, which most applications do the same way for all). */
  default?: CompletionHooks;
  /** Hooks of one tool by its name (e.g. `create_agent: { transform }`). */
  tools?: Readonly<Record<string, CompletionHooks>>;
}

/** The hooks that apply to `toolName`: its own, else the default's, hook by hook. */
export function hooksFor(registry: CompletionHookRegistry, toolName: string): CompletionHooks {
  const own = registry.tools?.[toolName];
  const fallback = registry.default;
  if (!own) return fallback ?? {};
  if (!fallback) return own;
  return {
    transform: own.transform ?? fallback.transform,
    persist: own.persist ?? fallback.persist,
    failure: own.failure ?? fallback.failure,
    continue: own.continue ?? fallback.continue,
  };
}

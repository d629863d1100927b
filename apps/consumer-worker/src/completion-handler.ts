import { PermanentError, RetryableError } from '@chat/completion-consumer';
import type { Logger, OperationCompleteMessage } from '@chat/completion-schema';
import {
  type ActiveTask,
  type CompleteTaskInput,
  type StreamRegistry,
  StreamRegistryError,
  toolFailureChunk,
  toolOutputChunk,
} from '@chat/stream-registry';
import { DEFAULT_SENSITIVE_KEYS, redact } from './redact.js';
import type { ToolHooks } from './tool-hooks.js';

/** What became of one completion message. */
export type CompletionOutcome = 'completed' | 'failed' | 'duplicate';

/** Options of {@link createCompletionHandler}. */
export interface CompletionHandlerOptions {
  registry: Pick<StreamRegistry, 'findTaskForCompletion' | 'completeTask' | 'waitForReplicas'> & {
    readonly options: Pick<StreamRegistry['options'], 'chunkDialect'>;
  };
  /**
   * Replicas that must have a completion's writes before the message is acked (Redis `WAIT` on the task's
   * master), and how long to wait for them. 0 replicas = do not wait. @defaultValue { replicas: 0, timeoutMs: 0 }
   */
  replicaAcks?: { replicas: number; timeoutMs: number };
  /** Per-tool hooks. @defaultValue {} */
  hooks?: ToolHooks | undefined;
  /** Keys redacted (recursively) from stored and streamed results. @defaultValue DEFAULT_SENSITIVE_KEYS */
  sensitiveKeys?: readonly string[];
  /** Called after each message is settled; `task` is the task as found before completion. */
  onOutcome?: (
    outcome: CompletionOutcome,
    task: ActiveTask,
    detail: { output?: string; error?: string },
  ) => void;
}

/** Defaults of {@link CompletionHandlerOptions}. */
export const DEFAULT_COMPLETION_HANDLER_OPTIONS = Object.freeze({
  /** @defaultValue { replicas: 0, timeoutMs: 0 } */
  replicaAcks: Object.freeze({ replicas: 0, timeoutMs: 0 }),
  /** @defaultValue {} */
  hooks: Object.freeze({}) as ToolHooks,
  /** @defaultValue DEFAULT_SENSITIVE_KEYS */
  sensitiveKeys: DEFAULT_SENSITIVE_KEYS,
});

/** {@link CompletionHandlerOptions} after {@link resolveCompletionHandlerOptions}. */
export interface ResolvedCompletionHandlerOptions
  extends Required<Omit<CompletionHandlerOptions, 'onOutcome' | 'hooks'>> {
  hooks: ToolHooks;
  onOutcome: CompletionHandlerOptions['onOutcome'];
}

/** Applies {@link DEFAULT_COMPLETION_HANDLER_OPTIONS}. */
export function resolveCompletionHandlerOptions(
  options: CompletionHandlerOptions,
): ResolvedCompletionHandlerOptions {
  const d = DEFAULT_COMPLETION_HANDLER_OPTIONS;
  return {
    registry: options.registry,
    replicaAcks: options.replicaAcks ?? d.replicaAcks,
    hooks: options.hooks ?? d.hooks,
    sensitiveKeys: options.sensitiveKeys ?? d.sensitiveKeys,
    onOutcome: options.onOutcome,
  };
}

/** Dead-letter reason of a completion whose output the registry cannot store (over `maxChunkBytes`). */
export const OUTPUT_TOO_LARGE = 'output_too_large';

/** Error text when a failed operation carries none, as in the original. */
export const DEFAULT_FAILURE_TEXT = 'Operation failed';

/** The tool output shown to the user: a string result as is, an object as JSON, nothing as `{"status":"completed"}`. */
export function toolOutputOf(result: unknown): string {
  if (typeof result === 'string') return result;
  if (result === null || result === undefined) return JSON.stringify({ status: 'completed' });
  return JSON.stringify(result);
}

/**
 * The worker's handling of one operation-complete message (see "Handling one completion" in the architecture):
 * find the task by operation id then task id (unknown → retried, then dead-lettered `task_not_found`), refuse a
 * task missing its ids (dead-letter `invalid_task`), run the tool's hook, then complete the task with one
 * compare-and-set script that also appends the output and `finish` chunks. A redelivered message finds the task
 * no longer running and changes nothing. The consumer acks only after this resolves, i.e. after the writes.
 */
export function createCompletionHandler(handlerOptions: CompletionHandlerOptions) {
  const options = resolveCompletionHandlerOptions(handlerOptions);
  const { registry, hooks, sensitiveKeys, replicaAcks } = options;
  const dialect = registry.options.chunkDialect;
  /** With asynchronous replication a master can die after the completion but before a replica has it, while the
   * ack (on the partition's master) survives: the task would stay running for good. So the entry is not acked
   * until the replicas confirm: too few in time → RetryableError, the entry stays pending and is redelivered, and
   * the redelivery (a duplicate, the task is settled) waits again before its ack. Out of deliveries, it is
   * dead-lettered `replication_timeout` (the task itself is settled on the master). */
  const replicate = async (taskId: string, logger: Logger) => {
    if (replicaAcks.replicas === 0) return;
    const acked = await registry.waitForReplicas(taskId, replicaAcks.replicas, replicaAcks.timeoutMs);
    if (acked < replicaAcks.replicas) {
      logger.warn(
        { taskId, acked, wanted: replicaAcks.replicas },
        'completion not confirmed by replicas in time; not acking',
      );
      throw new RetryableError(
        `task ${taskId}: ${acked} of ${replicaAcks.replicas} replicas confirmed the completion within ${replicaAcks.timeoutMs} ms`,
        { reason: 'replication_timeout' },
      );
    }
  };

  return async function handleCompletion(
    message: OperationCompleteMessage,
    context: { signal: AbortSignal; logger: Logger },
  ): Promise<void> {
    const task = await registry.findTaskForCompletion(message.operation_id, message.task_id);
    if (!task) {
      throw new RetryableError(
        `no task registered for operation ${message.operation_id} (task_id ${message.task_id})`,
        { reason: 'task_not_found' },
      );
    }
    const missing = (['taskId', 'sessionId', 'toolCallId'] as const).filter((field) => !task[field]);
    if (missing.length > 0) {
      throw new PermanentError(`task ${task.taskId || message.task_id} has empty ${missing.join(', ')}`, {
        reason: 'invalid_task',
      });
    }
    if (task.status !== 'running') {
      // Already completed by an earlier delivery: nothing to stream or store twice.
      options.onOutcome?.('duplicate', task, {});
      await replicate(task.taskId, context.logger);
      return;
    }

    const hook = hooks[task.toolName];
    const hookContext = { task, message, signal: context.signal, logger: context.logger };
    if (message.success) {
      await hook?.onSuccess?.({ ...hookContext, result: message.result });
      const output = toolOutputOf(redact(message.result, sensitiveKeys));
      const changed = await complete(task, context.logger, {
        status: 'completed',
        chunks: [toolOutputChunk(dialect, { ...task, output })],
        result: output,
      });
      options.onOutcome?.(changed ? 'completed' : 'duplicate', task, { output });
      await replicate(task.taskId, context.logger);
    } else {
      const errorText = message.error || DEFAULT_FAILURE_TEXT;
      await hook?.onFailure?.({ ...hookContext, error: errorText });
      const changed = await complete(task, context.logger, {
        status: 'failed',
        chunks: [toolFailureChunk(dialect, { ...task, errorText })],
        error: errorText,
      });
      options.onOutcome?.(changed ? 'failed' : 'duplicate', task, { error: errorText });
      await replicate(task.taskId, context.logger);
    }
  };

  /**
   * `completeTask`, except that an output the registry refuses as too large to store (`too_large`) fails the
   * task instead, through the same exactly-once completion with a short error, and dead-letters the entry at once
   * (`output_too_large`): retrying could never store it, and the task must not stay running until its TTL.
   */
  async function complete(task: ActiveTask, logger: Logger, input: CompleteTaskInput): Promise<boolean> {
    try {
      return await registry.completeTask(task.taskId, input);
    } catch (error) {
      if (!isTooLarge(error)) throw error;
      const errorText = `The tool output is too large to store (${error.sizeBytes} bytes, over the ${error.limitBytes}-byte cap).`;
      const changed = await registry
        .completeTask(task.taskId, {
          status: 'failed',
          chunks: [toolFailureChunk(dialect, { ...task, errorText })],
          error: errorText,
        })
        .catch((fallbackError: unknown) => {
          if (!isTooLarge(fallbackError)) throw fallbackError;
          // Only an oversized tool call id gets here; nothing can be stored for this task.
          logger.error(
            { taskId: task.taskId, err: fallbackError },
            'even the error of a too-large output cannot be stored; the task stays running',
          );
          return false;
        });
      if (changed) {
        options.onOutcome?.('failed', task, { error: errorText });
        await replicate(task.taskId, logger);
      }
      throw new PermanentError(`task ${task.taskId}: ${error.message}`, {
        reason: OUTPUT_TOO_LARGE,
        cause: error,
      });
    }
  }
}

function isTooLarge(error: unknown): error is StreamRegistryError {
  return StreamRegistryError.isInstance(error) && error.code === 'too_large';
}

import { DEFAULT_CONSUMER_OPTIONS, PermanentError, RetryableError } from '@chat/completion-consumer';
import type { Logger, OperationCompleteMessage } from '@chat/completion-schema';
import { sleep } from '@chat/redis-kit';
import {
  type ActiveTask,
  NotOwnerError,
  type SettleTaskInput,
  type StreamRegistry,
  StreamRegistryError,
  type TaskCompletion,
  toolFailureChunk,
  toolOutputChunk,
  type UIMessageChunk,
} from '@chat/stream-registry';
import { withSpan } from '@chat/stream-registry/internal';
import { type CompletionHookRegistry, type CompletionHooks, hooksFor } from './completion-hooks.js';
import {
  CONTINUATION_ERROR_PREFIX,
  CONTINUATION_INTERRUPTED,
  closingChunks,
  keepLease,
  TrackingWriter,
} from './continuation.js';
import { DEFAULT_SENSITIVE_KEYS, redact } from './redact.js';

/** What became of one completion message. */
export type CompletionOutcome = 'completed' | 'failed' | 'duplicate';

/** Options of {@link createCompletionHandler}. */
export interface CompletionHandlerOptions {
  registry: Pick<StreamRegistry, 'findTaskForCompletion' | 'settleTask' | 'waitForReplicas'> & {
    readonly options: Pick<StreamRegistry['options'], 'chunkDialect' | 'completionLeaseMs'>;
  };
  /**
   * Replicas that must have a completion's writes before the message is acked (Redis `WAIT` on the task's
   * master), and how long to wait for them. 0 replicas = do not wait. @defaultValue { replicas: 0, timeoutMs: 0 }
   */
  replicaAcks?: { replicas: number; timeoutMs: number };
  /** The application's hooks, per tool and a default. @defaultValue {} */
  hooks?: CompletionHookRegistry | undefined;
  /**
   * The consumer's delivery limit: a transient (`RetryableError`) hook failure on the last delivery gets the
   * final outcome instead of a retry, so the task never stays running. @defaultValue 5 (the consumer's default)
   */
  maxDeliveries?: number;
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
  hooks: Object.freeze({}) as CompletionHookRegistry,
  /** @defaultValue 5 */
  maxDeliveries: DEFAULT_CONSUMER_OPTIONS.maxDeliveries,
  /** @defaultValue DEFAULT_SENSITIVE_KEYS */
  sensitiveKeys: DEFAULT_SENSITIVE_KEYS,
});

/** {@link CompletionHandlerOptions} after {@link resolveCompletionHandlerOptions}. */
export interface ResolvedCompletionHandlerOptions
  extends Required<Omit<CompletionHandlerOptions, 'onOutcome' | 'hooks'>> {
  hooks: CompletionHookRegistry;
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
    maxDeliveries: options.maxDeliveries ?? d.maxDeliveries,
    sensitiveKeys: options.sensitiveKeys ?? d.sensitiveKeys,
    onOutcome: options.onOutcome,
  };
}

/** Dead-letter reason of a completion whose output the registry cannot store (over `maxChunkBytes`). */
export const OUTPUT_TOO_LARGE = 'output_too_large';

/** Error text when a failed operation carries none, as in the original. */
export const DEFAULT_FAILURE_TEXT = 'Operation failed';

/** First and longest pause between settle attempts while another worker owns the completion. */
const BUSY_POLL_FIRST_MS = 25;
const BUSY_POLL_MAX_MS = 1000;

/** The `error` chunk text when `persist` fails on the success path, as in the original. */
export const PERSIST_FAILURE_TEXT = 'Failed to save operation result to database';

/** The tool output shown to the user: a string result as is, an object as JSON, nothing as `{"status":"completed"}`. */
export function toolOutputOf(result: unknown): string {
  if (typeof result === 'string') return result;
  if (result === null || result === undefined) return JSON.stringify({ status: 'completed' });
  return JSON.stringify(result);
}

/** What the handler gives each phase. */
interface PhaseContext {
  task: ActiveTask;
  message: OperationCompleteMessage;
  hooks: CompletionHooks;
  signal: AbortSignal;
  logger: Logger;
  deliveryCount: number;
  /** No persist, failure or continue hook: nothing runs between settle and finish, so one script does both. */
  settleFinishes: boolean;
}

/** A settle that finished the task in the same script (the fast path): nothing is left to own. */
interface FinishedNow {
  finishedNow: 'completed' | 'failed';
  /** What `onOutcome` reports: the stored output, or the error. */
  detail: { output?: string; error?: string };
}

/** The outcome settled into the task: the tool chunk and what is stored. */
type Settlement = Omit<SettleTaskInput, 'toolCallId'>;

/**
 * The worker's handling of one operation-complete message, in phases (see "Handling one completion" in the
 * architecture): find the task by operation id then task id (unknown → retried, then dead-lettered
 * `task_not_found`), refuse a task missing its ids (dead-letter `invalid_task`), then **transform** →
 * **settle** → **persist** → **continue** → **finish**, each its own function below. The settle is one script
 * that claims the running task and appends the tool chunk once; later phases write only while this worker
 * owns the completion, and a redelivery resumes from the phase the task records. The consumer acks only after
 * this resolves, i.e. after the finish.
 */
export function createCompletionHandler(handlerOptions: CompletionHandlerOptions) {
  const options = resolveCompletionHandlerOptions(handlerOptions);
  const { registry, sensitiveKeys, replicaAcks } = options;
  const dialect = registry.options.chunkDialect;
  const leaseMs = registry.options.completionLeaseMs;

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

  /**
   * Phase 1: the tool's `transform` may replace the result or fail the task; then the output is redacted. Not run
   * for a task already settled (a takeover resumes with the settled outcome, so an agent is not saved twice).
   */
  async function transformPhase(p: PhaseContext): Promise<Settlement> {
    const { task, message } = p;
    let success = message.success;
    let result = message.result;
    let error = message.error || DEFAULT_FAILURE_TEXT;
    if (success && p.hooks.transform && !task.completionPhase) {
      const changed = await p.hooks.transform({ ...hookContext(p), result });
      if (changed?.success === false) {
        success = false;
        error = changed.error || DEFAULT_FAILURE_TEXT;
      } else if (changed) result = changed.result;
    }
    if (!success) {
      return { status: 'failed', chunk: toolFailureChunk(dialect, { ...task, errorText: error }), error };
    }
    const output = toolOutputOf(redact(result, sensitiveKeys));
    return { status: 'completed', chunk: toolOutputChunk(dialect, { ...task, output }), result: output };
  }

  /**
   * Phase 2: settle (one script): claim the running task, append the tool chunk, store the outcome, clear the
   * running-operation marker. Waits while another live worker owns the completion (a duplicate delivery), so it
   * either takes over a dead owner's completion or finds the task finished. Null when finished already. Without
   * hooks after the settle (`settleFinishes`) the same script finishes a task it settles (`FinishedNow`); a task an
   * earlier owner settled is resumed and goes through the phases.
   */
  async function settlePhase(
    p: PhaseContext,
    settlement: Settlement,
  ): Promise<TaskCompletion | FinishedNow | null> {
    let busyPollMs = BUSY_POLL_FIRST_MS;
    for (;;) {
      const outcome = await settleOrFailTooLarge(p, settlement);
      if (outcome.state === 'settled' || outcome.state === 'resumed') {
        if (outcome.state === 'resumed') {
          // A takeover from a dead owner, or this worker's own retry after a transient persist error.
          p.logger.info(
            { taskId: p.task.taskId, phase: outcome.completion.phase },
            'resuming a completion settled earlier',
          );
        }
        return outcome.completion;
      }
      if (outcome.state === 'settled_finished') {
        const detail =
          outcome.status === 'completed' ? { output: settlement.result } : { error: settlement.error };
        return { finishedNow: outcome.status, detail };
      }
      if (outcome.state === 'finished') return null;
      if (outcome.state === 'not_found') {
        throw new RetryableError(`task ${p.task.taskId} disappeared before its completion`, {
          reason: 'task_not_found',
        });
      }
      // The owner usually finishes long before its lease would run out: poll, backing off up to a second.
      await sleep(Math.min(outcome.retryInMs + 5, busyPollMs), p.signal);
      p.signal.throwIfAborted();
      busyPollMs = Math.min(busyPollMs * 2, BUSY_POLL_MAX_MS);
    }
  }

  /**
   * The settle, except that an output the registry refuses as too large to store (`too_large`) fails the task
   * instead, with a short error, and dead-letters the entry (`output_too_large`): retrying could never store it,
   * and the task must not stay running until its TTL.
   */
  async function settleOrFailTooLarge(p: PhaseContext, settlement: Settlement) {
    const { task } = p;
    const input = { ...settlement, toolCallId: task.toolCallId, finish: p.settleFinishes };
    try {
      return await registry.settleTask(task.taskId, input);
    } catch (error) {
      if (!isTooLarge(error)) throw error;
      const errorText = `The tool output is too large to store (${error.sizeBytes} bytes, over the ${error.limitBytes}-byte cap).`;
      const outcome = await registry
        .settleTask(task.taskId, {
          status: 'failed',
          toolCallId: task.toolCallId,
          chunk: toolFailureChunk(dialect, { ...task, errorText }),
          error: errorText,
          finish: p.settleFinishes,
        })
        .catch((fallbackError: unknown) => {
          if (!isTooLarge(fallbackError)) throw fallbackError;
          // Only an oversized tool call id gets here; nothing can be stored for this task.
          p.logger.error(
            { taskId: task.taskId, err: fallbackError },
            'even the error of a too-large output cannot be stored; the task stays running',
          );
          return null;
        });
      if (outcome?.state === 'settled' || outcome?.state === 'resumed') await outcome.completion.finish();
      if (
        outcome &&
        (outcome.state === 'settled' || outcome.state === 'resumed' || outcome.state === 'settled_finished')
      ) {
        options.onOutcome?.('failed', task, { error: errorText });
        await replicate(task.taskId, p.logger);
      }
      throw new PermanentError(`task ${task.taskId}: ${error.message}`, {
        reason: OUTPUT_TOO_LARGE,
        cause: error,
      });
    }
  }

  /**
   * Phase 3: the host application stores the tool message (`persist`, or `failure` on the failure path). A
   * transient error (`RetryableError`, deliveries left) gives the completion up and retries the message; the
   * redelivery resumes here. Resolves with the finish the success path then takes: the original's error chunk
   * and `failed` when `persist` failed for good, else nothing (carry on).
   */
  async function persistPhase(p: PhaseContext, completion: TaskCompletion): Promise<FinishPlan | undefined> {
    const hook =
      completion.status === 'completed'
        ? p.hooks.persist && (() => p.hooks.persist!({ ...hookContext(p), output: completion.result ?? '' }))
        : p.hooks.failure &&
          (() => p.hooks.failure!({ ...hookContext(p), error: completion.error ?? DEFAULT_FAILURE_TEXT }));
    if (!hook) return undefined;
    try {
      await whileLeased(completion, p, hook);
    } catch (error) {
      if (isFencedOrAborted(error, p.signal)) throw error;
      if (RetryableError.isInstance(error) && p.deliveryCount < options.maxDeliveries) {
        await completion.release();
        throw error;
      }
      if (completion.status === 'failed') {
        p.logger.warn(
          { taskId: p.task.taskId, err: error },
          'storing the failed operation in the chat history failed; finishing the task anyway',
        );
        await completion.markPersisted();
        return undefined;
      }
      p.logger.error({ taskId: p.task.taskId, err: error }, 'persisting the tool result failed');
      return {
        status: 'failed',
        error: PERSIST_FAILURE_TEXT,
        chunks: [{ type: 'error', errorText: PERSIST_FAILURE_TEXT }],
      };
    }
    await completion.markPersisted();
    return undefined;
  }

  /**
   * Phase 4: the assistant's continuation (`continue`, success path only) through a writer fenced to this
   * worker. Resolves with the chunks the finish appends first: those closing what the continuation left open,
   * after an `error` chunk when it failed. Taking over a continuation that had already streamed chunks does not
   * repeat it: the new owner closes what the old one left open, with an `error` chunk.
   */
  async function continuePhase(p: PhaseContext, completion: TaskCompletion): Promise<UIMessageChunk[]> {
    if (completion.phase === 'continuing') {
      const streamed = await completion.readContinuation();
      return [continuationError(CONTINUATION_INTERRUPTED), ...closingChunks(streamed)];
    }
    const hook = p.hooks.continue;
    if (!hook) return [];
    const writer = new TrackingWriter(completion, p.signal);
    try {
      await whileLeased(completion, p, () =>
        hook({ ...hookContext(p), output: completion.result ?? '', writer }),
      );
    } catch (error) {
      if (isFencedOrAborted(error, p.signal)) throw error;
      p.logger.error({ taskId: p.task.taskId, err: error }, 'the continuation failed');
      // The stream, not the writer, says what is open: a write that failed in the client may have landed.
      const streamed = await completion.readContinuation();
      return [continuationError(errorText(error)), ...closingChunks(streamed)];
    }
    return closingChunks(writer.written);
  }

  /** Phase 5: status, `completed_at`, the `finish` chunk: one fenced script, exactly once, last. */
  async function finishPhase(p: PhaseContext, completion: TaskCompletion, plan: FinishPlan): Promise<void> {
    const status = await completion.finish(plan);
    const detail =
      status === 'completed'
        ? { output: completion.result }
        : { error: plan.error ?? completion.error ?? DEFAULT_FAILURE_TEXT };
    options.onOutcome?.(status, p.task, detail);
  }

  return async function handleCompletion(
    message: OperationCompleteMessage,
    context: { signal: AbortSignal; logger: Logger; deliveryCount?: number },
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
    const hooks = hooksFor(options.hooks, task.toolName);
    const p: PhaseContext = {
      task,
      message,
      hooks,
      settleFinishes: !hooks.persist && !hooks.failure && !hooks.continue,
      signal: context.signal,
      logger: context.logger,
      deliveryCount: context.deliveryCount ?? 1,
    };
    if (task.status !== 'running') return duplicate(p);
    try {
      // Each phase is a `registry.<phase>` span inside the delivery's `process` span (when tracing is on).
      const span = { 'chat.task_id': task.taskId, 'chat.tool_name': task.toolName };
      // Without hooks after the settle, the settle script finishes the task too: one `registry.settle_finish` span.
      const settled = await withSpan(p.settleFinishes ? 'settle_finish' : 'settle', span, async () =>
        settlePhase(p, await transformPhase(p)),
      );
      if (!settled) return duplicate(p);
      if ('finishedNow' in settled) {
        options.onOutcome?.(settled.finishedNow, task, settled.detail);
      } else {
        await finishPhases(p, settled);
      }
    } catch (error) {
      if (NotOwnerError.isInstance(error)) {
        // Another worker took the completion over (this one lost its lease): it finishes the task. Retrying never
        // steals the entry back; if it is still this worker's, the redelivery finds the task finished.
        throw new RetryableError(`task ${task.taskId}: ${error.message}`, {
          reason: 'completion_taken_over',
          cause: error,
        });
      }
      throw error;
    }
    await replicate(task.taskId, p.logger);
  };

  /** Phases 3 to 5 of a completion this worker owns: persist, continue, finish, each a span. */
  async function finishPhases(p: PhaseContext, completion: TaskCompletion): Promise<void> {
    const span = { 'chat.task_id': p.task.taskId, 'chat.tool_name': p.task.toolName };
    const failedPersist =
      completion.phase === 'settled'
        ? await withSpan('persist', span, () => persistPhase(p, completion))
        : undefined;
    const plan: FinishPlan =
      failedPersist ??
      (completion.status === 'completed'
        ? { chunks: await withSpan('continue', span, () => continuePhase(p, completion)) }
        : {});
    await withSpan('finish', span, () => finishPhase(p, completion, plan));
  }

  async function duplicate(p: PhaseContext): Promise<void> {
    // Finished by an earlier delivery: nothing to stream or store twice.
    options.onOutcome?.('duplicate', p.task, {});
    await replicate(p.task.taskId, p.logger);
  }

  /** Runs a hook while renewing the completion's lease, so only a dead worker loses it. */
  async function whileLeased(completion: TaskCompletion, p: PhaseContext, run: () => Promise<void>) {
    const stop = keepLease(completion, leaseMs, (error) =>
      p.logger.warn({ taskId: p.task.taskId, err: error }, 'renewing the completion lease failed'),
    );
    try {
      await run();
    } finally {
      stop();
    }
  }
}

/** What the finish adds: chunks before `finish`, and a status and error overriding the settled ones. */
interface FinishPlan {
  status?: 'completed' | 'failed';
  error?: string;
  chunks?: UIMessageChunk[];
}

function hookContext(p: PhaseContext) {
  return { task: p.task, message: p.message, signal: p.signal, logger: p.logger };
}

function continuationError(detail: string): UIMessageChunk {
  return { type: 'error', errorText: `${CONTINUATION_ERROR_PREFIX}${detail}` };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Errors that must leave the entry as it is: another owner took over, or shutdown cut the hook short. */
function isFencedOrAborted(error: unknown, signal: AbortSignal): boolean {
  return NotOwnerError.isInstance(error) || signal.aborted;
}

function isTooLarge(error: unknown): error is StreamRegistryError {
  return StreamRegistryError.isInstance(error) && error.code === 'too_large';
}

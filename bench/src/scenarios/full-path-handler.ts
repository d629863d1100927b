import { PermanentError, RetryableError } from '@chat/completion-consumer';
import type { OperationCompleteMessage } from '@chat/completion-schema';
import { StreamRegistry } from '@chat/stream-registry';

/** The handler the full-path scenario runs, and how to release what it opened. */
export interface FullPathHandler {
  handler: (message: OperationCompleteMessage) => Promise<void>;
  note: string;
  close(): Promise<void>;
}

const SECRET_KEYS = new Set([
  'api_key',
  'password',
  'secret',
  'token',
  'authorization',
  'credentials',
  'private_key',
]);

/** Replaces the values of secret-looking keys, recursively, as the worker does before storing a result. */
function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value))
    out[key] = SECRET_KEYS.has(key.toLowerCase()) ? '[REDACTED]' : redact(v);
  return out;
}

/**
 * The worker's per-message handling (ARCHITECTURE.md "Handling one completion"), over the registry: find the
 * task by `operation_id` (else `task_id`), refuse an incomplete task, then one `completeTask` that appends the
 * `tool-output-available` (or `tool-output-error`) chunk and `finish` and sets the status, exactly once.
 * The deployable worker's own handler is not on this branch; this does the same Redis work in the same order
 * (GET + HGETALL + one EVALSHA per message), so the figures stand for it.
 */
export async function loadFullPathHandler(url: string): Promise<FullPathHandler> {
  const registry = new StreamRegistry({ url });
  const handler = async (message: OperationCompleteMessage) => {
    const task =
      (await registry.findTaskByOperationId(message.operation_id)) ??
      (await registry.getTask(message.task_id));
    if (!task) throw new RetryableError('task not registered yet', { reason: 'task_not_found' });
    if (!task.taskId || !task.sessionId || !task.toolCallId)
      throw new PermanentError('task lacks task, session or tool call id', { reason: 'invalid_task' });
    if (message.success) {
      const result = redact(message.result ?? { status: 'completed' });
      const output = typeof result === 'string' ? result : JSON.stringify(result);
      await registry.completeTask(task.taskId, {
        status: 'completed',
        chunks: [{ type: 'tool-output-available', toolCallId: task.toolCallId, output }],
        result: output,
      });
    } else {
      const errorText = message.error ?? 'Operation failed';
      await registry.completeTask(task.taskId, {
        status: 'failed',
        chunks: [{ type: 'tool-output-error', toolCallId: task.toolCallId, errorText }],
        error: errorText,
      });
    }
  };
  return {
    handler,
    note: 'worker handling re-implemented in the bench over @chat/stream-registry (apps/consumer-worker not on main yet)',
    close: () => registry.close(),
  };
}

/** Registers the tasks the full path completes (`task-<i>` for `op-<i>`), 1 000 in flight; not measured. */
export async function registerTasks(url: string, n: number): Promise<void> {
  const registry = new StreamRegistry({ url });
  try {
    for (let from = 0; from < n; from += 1000) {
      const batch = [];
      for (let i = from; i < Math.min(n, from + 1000); i++)
        batch.push(
          registry.createTask({
            taskId: `task-${i}`,
            sessionId: `session-${i % 1000}`,
            userId: `user-${i % 100}`,
            toolCallId: `call-${i}`,
            toolName: 'create_agent',
            operationId: `op-${i}`,
          }),
        );
      await Promise.all(batch);
    }
  } finally {
    await registry.close();
  }
}

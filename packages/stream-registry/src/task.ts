import { z } from 'zod';

/** Lifecycle of a task: `running` until `completeTask` moves it, exactly once, to `completed` or `failed`. */
export type TaskStatus = 'running' | 'completed' | 'failed';

/** A task as stored in its hash (camelCase view of the Python original's fields). */
export interface ActiveTask {
  taskId: string;
  sessionId: string;
  /** Null for an anonymous task (stored as `''`, as the original does). */
  userId: string | null;
  toolCallId: string;
  toolName: string;
  operationId: string;
  status: TaskStatus;
  /**
   * ISO 8601 as stored: microseconds and `+00:00` in the `compat` layout (the Python original's format),
   * milliseconds and `Z` in `cluster`. `parseTaskTimestamp` reads both.
   */
  createdAt: string;
  /** ISO 8601, set by `completeTask`. */
  completedAt?: string;
  /** Stored result of a completed task. */
  result?: string;
  /** Stored error of a failed task. */
  error?: string;
  /** Where a phased completion stands (`settleTask`): absent until the task is settled. */
  completionPhase?: 'settled' | 'persisted' | 'continuing' | 'finished';
}

/** What `createTask` takes; every id must be a non-empty string. */
export const createTaskInputSchema = z.object({
  taskId: z.string().min(1),
  sessionId: z.string().min(1),
  userId: z.string().nullish(),
  toolCallId: z.string().min(1),
  toolName: z.string().min(1),
  operationId: z.string().min(1),
});

/** Input of `createTask`. */
export type CreateTaskInput = z.input<typeof createTaskInputSchema>;

/** `getTaskWithExpiryInfo` result: `expired` means the chunks are still there but the task hash is gone. */
export type TaskLookup =
  | { state: 'found'; task: ActiveTask }
  | { state: 'expired'; taskId: string }
  | { state: 'not_found'; taskId: string };

const STATUSES = new Set<string>(['running', 'completed', 'failed']);

/** The task in a hash read with HGETALL, or null when the hash is missing or unreadable. */
export function taskFromHash(hash: Record<string, string>): ActiveTask | null {
  const taskId = hash.task_id;
  const status = hash.status;
  if (!taskId || status === undefined || !STATUSES.has(status)) return null;
  const task: ActiveTask = {
    taskId,
    sessionId: hash.session_id ?? '',
    userId: hash.user_id ? hash.user_id : null,
    toolCallId: hash.tool_call_id ?? '',
    toolName: hash.tool_name ?? '',
    operationId: hash.operation_id ?? '',
    status: status as TaskStatus,
    createdAt: hash.created_at ?? '',
  };
  if (hash.completed_at !== undefined) task.completedAt = hash.completed_at;
  if (hash.result !== undefined) task.result = hash.result;
  if (hash.error !== undefined) task.error = hash.error;
  if (hash.completion_phase !== undefined)
    task.completionPhase = hash.completion_phase as NonNullable<ActiveTask['completionPhase']>;
  return task;
}

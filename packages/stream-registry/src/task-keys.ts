import type { KeyLayout } from './options.js';

/** The Redis keys of the registry, built one way for both writers and readers. */
export interface TaskKeys {
  /** Task hash: `chat:task:meta:<task_id>`. */
  meta(taskId: string): string;
  /** Chunk stream: `chat:stream:<task_id>`. */
  stream(taskId: string): string;
  /** Operation → task id: `chat:task:op:<operation_id>`. */
  operation(operationId: string): string;
  /** Per-session index (sorted set of task ids by creation time): `chat:task:session:<session_id>`. */
  session(sessionId: string): string;
  /**
   * The Python original's "operation in progress" marker of a tool call: `chat:running_operation:<tool_call_id>`
   * (`{<tool_call_id>}` tagged in the cluster layout). Deleted when the task settles.
   */
  runningOperation(toolCallId: string): string;
}

/**
 * Key builder for a layout. `compat` keeps the Python original's names so both can share one Redis; `cluster`
 * wraps each id in a hash tag so the task hash and its chunk stream (the keys one script touches) share a slot.
 */
export function taskKeys(layout: KeyLayout, prefix: string): TaskKeys {
  const tag = layout === 'cluster' ? (id: string) => `{${id}}` : (id: string) => id;
  return {
    meta: (taskId) => `${prefix}task:meta:${tag(taskId)}`,
    stream: (taskId) => `${prefix}stream:${tag(taskId)}`,
    operation: (operationId) => `${prefix}task:op:${tag(operationId)}`,
    session: (sessionId) => `${prefix}task:session:${tag(sessionId)}`,
    runningOperation: (toolCallId) => `${prefix}running_operation:${tag(toolCallId)}`,
  };
}

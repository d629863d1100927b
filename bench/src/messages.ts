import type { OperationCompleteInput } from '@chat/completion-schema';

/**
 * The `i`-th benchmark completion: a realistic small success with an object result (about 200 bytes encoded),
 * the shape the Agent Generator publishes. Ids are `op-<i>` / `task-<i>` so the full path can register them.
 */
export function benchMessage(i: number, extra: Record<string, unknown> = {}): OperationCompleteInput {
  return {
    operation_id: `op-${i}`,
    task_id: `task-${i}`,
    success: true,
    result: { agent_id: `agent-${i}`, name: 'Generated agent', nodes: 12, version: 1, ...extra },
    error: null,
  };
}

/** `n` messages built before a timed phase, so building them is not measured. */
export function benchMessages(n: number): OperationCompleteInput[] {
  return Array.from({ length: n }, (_, i) => benchMessage(i));
}

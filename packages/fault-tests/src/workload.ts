import type { OperationCompleteInput } from '@chat/completion-schema';
import type { StreamRegistry } from '@chat/stream-registry';

/** One completion the producer publishes, with the task state it must leave behind. */
export interface ExpectedCompletion {
  readonly message: OperationCompleteInput;
  /** `completed` or `failed` for an ordinary tool; poison never completes (its transform always throws). */
  readonly expected: 'completed' | 'failed' | 'poison';
}

/** A raw entry a foreign producer writes, and the reason it must be dead-lettered with. */
export interface MalformedEntry {
  readonly fields: string[];
  readonly reason:
    | 'invalid_json'
    | 'missing_data_field'
    | 'schema_violation'
    | 'too_large'
    | 'unsupported_version';
}

/** The tool whose hook always throws in `poison-worker`. */
export const POISON_TOOL = 'poison_tool';

/** The text deltas of the continuation `poison-worker` streams after each successful tool output. */
export const CONTINUATION_TEXT: readonly string[] = Object.freeze(['The ', 'agent ', 'is ', 'ready.']);

/**
 * `count` ordinary completions (every fifth one a failure, so both outcomes are checked) plus `poison` completions
 * for `poison_tool` tasks. Deterministic, so a failing run can be reproduced.
 */
export function buildCompletions(count: number, poison: number): ExpectedCompletion[] {
  const out: ExpectedCompletion[] = [];
  for (let i = 0; i < count; i++) {
    const success = i % 5 !== 0;
    out.push({
      expected: success ? 'completed' : 'failed',
      message: success
        ? { operation_id: `op-${i}`, task_id: `t-${i}`, success, result: { n: i } }
        : { operation_id: `op-${i}`, task_id: `t-${i}`, success, error: `failed ${i}` },
    });
  }
  for (let i = 0; i < poison; i++) {
    out.push({
      expected: 'poison',
      // Successes: `transform`, the hook that runs before anything is written, runs on the success path only.
      message: { operation_id: `pop-${i}`, task_id: `p-${i}`, success: true, result: { n: i } },
    });
  }
  return out;
}

/** Three of each kind of entry the decoder refuses, each kind with its dead-letter reason. */
export function buildMalformed(): MalformedEntry[] {
  const kinds: MalformedEntry[] = [
    { fields: ['data', '{"operation_id": "x", '], reason: 'invalid_json' },
    {
      fields: ['payload', '{"operation_id":"x","task_id":"y","success":true}'],
      reason: 'missing_data_field',
    },
    { fields: ['data', '{"operation_id":"","task_id":7,"success":"yes"}'], reason: 'schema_violation' },
    { fields: ['data', `"${'x'.repeat(1024 * 1024 + 16)}"`], reason: 'too_large' },
    {
      fields: ['data', '{"schema_version":"2.0","operation_id":"o","task_id":"t","success":true}'],
      reason: 'unsupported_version',
    },
  ];
  return [...kinds, ...kinds, ...kinds];
}

/** Registers the task of every completion (1 000 in flight at a time), as the chat API would before the work. */
export async function registerTasks(
  registry: StreamRegistry,
  completions: ExpectedCompletion[],
): Promise<void> {
  for (let i = 0; i < completions.length; i += 1000) {
    await Promise.all(
      completions.slice(i, i + 1000).map(({ message, expected }) =>
        registry.createTask({
          taskId: message.task_id,
          sessionId: `s-${message.task_id}`,
          userId: 'u-1',
          toolCallId: `call-${message.task_id}`,
          toolName: expected === 'poison' ? POISON_TOOL : 'create_agent',
          operationId: message.operation_id,
        }),
      ),
    );
  }
}

import type { HandlerContext } from '@chat/completion-consumer';
import type { OperationCompleteMessage } from '@chat/completion-schema';
import { createCompletionHandler } from '@chat/consumer-worker';
import { StreamRegistry } from '@chat/stream-registry';
import { Redis } from 'ioredis';

/** The handler the full-path scenario runs, the client it shares with the consumer, and how to release them. */
export interface FullPathHandler {
  handler: (message: OperationCompleteMessage, context: HandlerContext) => Promise<void>;
  redis: Redis;
  close(): Promise<void>;
}

/**
 * The worker's own per-message handling, `createCompletionHandler({ registry })` from `apps/consumer-worker`
 * (task lookup by operation id, `tool-output-available` + `finish` + status in one compare-and-set script), wired
 * as the worker wires it: registry and consumer share one client.
 */
export function loadFullPathHandler(url: string): FullPathHandler {
  const redis = new Redis(url, { maxRetriesPerRequest: null, connectionName: 'bench-worker' });
  const registry = new StreamRegistry({ redis });
  return {
    handler: createCompletionHandler({ registry }),
    redis,
    close: async () => {
      await registry.close();
      await redis.quit();
    },
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

import { decode } from '@chat/completion-schema';
import type { RedisClient } from '@chat/redis-kit';
import type { ConnectionConfig } from './connection-config.js';
import { pipelinePartitions } from './pipeline-streams.js';

/** One pending entry of the group: delivered to `consumer`, not acknowledged yet. */
export interface PendingEntry {
  partition: number;
  stream: string;
  id: string;
  consumer: string;
  /** Since its last delivery, in ms. */
  idleMs: number;
  deliveries: number;
  /** The task and operation its message names; null when the entry is gone (deleted or trimmed) or undecodable. */
  taskId: string | null;
  operationId: string | null;
}

/**
 * The oldest `limit` pending entries of the group on each partition (XPENDING, extended form), optionally of one
 * consumer, each with the task its message names (XRANGE of its id, all sent at once).
 */
export async function listPending(
  redis: RedisClient,
  config: Pick<ConnectionConfig, 'stream' | 'partitions' | 'group'>,
  options: { limit: number; consumer?: string | undefined; minIdleMs?: number | undefined },
): Promise<PendingEntry[]> {
  const perPartition = await Promise.all(
    pipelinePartitions(config).map(async ({ partition, stream }) => {
      const idle = options.minIdleMs ? ['IDLE', options.minIdleMs] : [];
      const args = [
        stream,
        config.group,
        ...idle,
        '-',
        '+',
        options.limit,
        ...(options.consumer ? [options.consumer] : []),
      ];
      let rows: [string, string, number, number][];
      try {
        rows = (await (redis.xpending as (...a: unknown[]) => Promise<unknown>)(...args)) as typeof rows;
      } catch (error) {
        // No stream or no group yet: nothing is pending.
        if (/NOGROUP|no such key/i.test((error as Error).message)) return [];
        throw error;
      }
      const entries = await Promise.all(
        rows.map(([id]) => redis.xrange(stream, id, id) as Promise<[string, string[]][]>),
      );
      return rows.map(([id, consumer, idleMs, deliveries], i): PendingEntry => {
        const fields = entries[i]?.[0]?.[1];
        const decoded = fields ? decode(fields) : undefined;
        return {
          partition,
          stream,
          id,
          consumer,
          idleMs: Number(idleMs),
          deliveries: Number(deliveries),
          taskId: decoded?.ok ? decoded.message.task_id : null,
          operationId: decoded?.ok ? decoded.message.operation_id : null,
        };
      });
    }),
  );
  return perPartition.flat();
}

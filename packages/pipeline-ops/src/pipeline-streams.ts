import { deadLetterStreamFor, partitionStreams } from '@chat/completion-schema';
import { isCluster, type RedisClient } from '@chat/redis-kit';
import type { ConnectionConfig } from './connection-config.js';
import { KeyLayoutError } from './errors.js';

/** One partition of the completion stream and the dead-letter stream beside it (same hash slot). */
export interface PipelinePartition {
  partition: number;
  stream: string;
  deadLetterStream: string;
}

/** The partitions `config` names, in order: `partitionStreams(stream, partitions)` and their dead-letter streams. */
export function pipelinePartitions(
  config: Pick<ConnectionConfig, 'stream' | 'partitions'>,
): PipelinePartition[] {
  return partitionStreams(config.stream, config.partitions).map((stream, partition) => ({
    partition,
    stream,
    deadLetterStream: deadLetterStreamFor(stream),
  }));
}

/**
 * Refuses a Redis that does not match the configuration: a cluster node reached through `REDIS_URL` (its keys
 * are spread over nodes a single connection cannot follow). One `INFO cluster` round trip; a cluster connection
 * is checked by the configuration already (`KEY_LAYOUT=cluster`).
 */
export async function checkTopology(redis: RedisClient): Promise<void> {
  if (isCluster(redis)) return;
  const info = await redis.info('cluster');
  if (/cluster_enabled:1/.test(info))
    throw new KeyLayoutError(
      'this Redis is a cluster node: connect with REDIS_CLUSTER_NODES=host:port,… and KEY_LAYOUT=cluster instead of REDIS_URL',
    );
}

import { isCluster, masterFor } from '@chat/redis-kit';
import type { Cluster, Redis } from 'ioredis';

/**
 * The connection that wrote `key`: the client itself on a single server, or on a Cluster the pooled connection to
 * the master serving the key's slot. WAIT counts replicas of the writes of the connection it runs on, so it must
 * run there.
 */
export function writerConnectionFor(client: Redis | Cluster, key: string): Redis | undefined {
  return isCluster(client) ? masterFor(client, key) : client;
}

/**
 * `WAIT replicas timeoutMs` on the connection that wrote `key`; resolves with the number of replicas that have
 * every write made on that connection so far (0 when the key's master is unknown right now).
 */
export async function waitForReplicasOf(
  client: Redis | Cluster,
  key: string,
  replicas: number,
  timeoutMs: number,
): Promise<number> {
  const connection = writerConnectionFor(client, key);
  if (!connection) return 0;
  return Number(await connection.wait(replicas, timeoutMs));
}

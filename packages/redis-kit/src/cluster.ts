import { keySlot } from '@chat/completion-schema';
import type { Cluster, Redis } from 'ioredis';

/** An ioredis client: a single node or a cluster. */
export type RedisClient = Redis | Cluster;

/** True for an ioredis `Cluster` (checked by its flag, so it holds across ioredis copies and majors). */
export function isCluster(client: RedisClient): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}

/** `host:port` of a node connection: the form the cluster's slot map names its nodes in. */
export function nodeKeyOf(node: Redis): string {
  return `${node.options.host}:${node.options.port}`;
}

/** `host:port` of the master serving `key`'s slot per the client's slot map; undefined while the map has none. */
export function masterKeyFor(cluster: Cluster, key: string): string | undefined {
  return cluster.slots[keySlot(key)]?.[0];
}

/**
 * The cluster's pooled connection to the master serving `key`'s slot, or undefined when that master is not known
 * right now. Commands whose meaning is per connection (WAIT, CLIENT UNBLOCK) must run on it.
 */
export function masterFor(cluster: Cluster, key: string): Redis | undefined {
  const owner = masterKeyFor(cluster, key);
  return owner === undefined ? undefined : masterAt(cluster, owner);
}

/** The cluster's pooled connection to the master at `node` (`host:port`), if it is a known master. */
export function masterAt(cluster: Cluster, node: string): Redis | undefined {
  return cluster.nodes('master').find((candidate) => nodeKeyOf(candidate) === node);
}

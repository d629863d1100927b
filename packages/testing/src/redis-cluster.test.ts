import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisCluster, startCluster } from './redis-cluster.js';

describe('startCluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('brings up 3 masters and 3 replicas that an ioredis Cluster can XADD to and XREAD from', async () => {
    expect(cluster.nodes).toHaveLength(6);
    expect(await cluster.masters()).toHaveLength(3);
    const client = new Cluster(cluster.startupNodes);
    // Keys on different slots, so more than one master is exercised.
    for (const key of ['{a}:stream', '{b}:stream', '{c}:stream']) {
      const id = await client.xadd(key, '*', 'data', key);
      const read = await client.xread('STREAMS', key, '0');
      expect(read?.[0]?.[1]).toEqual([[id, ['data', key]]]);
    }
    await client.quit();
  });
});

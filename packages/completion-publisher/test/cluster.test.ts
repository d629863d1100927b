import { decode } from '@chat/completion-schema';
import { type RedisCluster, startCluster } from '@chat/testing';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher } from '../src/index.js';

describe('on a real Redis Cluster', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ replicasPerMaster: 0 });
    client = new Cluster(cluster.startupNodes);
  }, 60_000);
  afterAll(async () => {
    await client?.quit();
    await cluster?.stop();
  });

  // Untagged, tagged, and tags that hash to different masters: the script's two keys must never be CROSSSLOT.
  it.each(['chat:completions', 'svc:{a}:completions', '{b}', 'other:completions'])(
    'publishes once and in batches to %s',
    async (stream) => {
      const publisher = createPublisher({ redis: client, stream });
      const message = { operation_id: 'op-1', task_id: 't-1', success: true };
      const first = await publisher.publish(message);
      expect(await publisher.publish(message)).toBe(first);
      const ids = await publisher.publishMany(
        Array.from({ length: 20 }, (_, i) => ({ ...message, operation_id: `op-${i + 2}` })),
      );
      const entries = (await client.xrange(stream, '-', '+')) as [string, string[]][];
      expect(entries.map(([id]) => id)).toEqual([first, ...ids]);
      expect(entries.every(([, fields]) => decode(fields).ok)).toBe(true);
    },
  );
});

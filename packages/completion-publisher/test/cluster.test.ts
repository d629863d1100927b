import { decode, keySlot, partitionFor } from '@chat/completion-schema';
import { type RedisCluster, startCluster } from '@chat/testing';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher, publishedMarkerKey } from '../src/index.js';

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
      const batch = Array.from({ length: 20 }, (_, i) => ({ ...message, operation_id: `op-${i + 2}` }));
      // The batch repeats its operations and the single publish's: each gets its first id, nothing is added twice.
      const repeated = await publisher.publishMany([...batch, ...batch, message]);
      const ids = repeated.slice(0, 20);
      expect(repeated).toEqual([...ids, ...ids, first]);
      expect(await publisher.publishMany(batch)).toEqual(ids);
      const entries = (await client.xrange(stream, '-', '+')) as [string, string[]][];
      expect(entries.map(([id]) => id)).toEqual([first, ...ids]);
      expect(entries.every(([, fields]) => decode(fields).ok)).toBe(true);
    },
  );

  it('publishes to 3 partitions on their own slots, one pipeline per partition for a batch', async () => {
    const publisher = createPublisher({ redis: client, stream: 'p:completions', partitions: 3 });
    const slots = publisher.streams.map((stream) => keySlot(stream));
    expect(new Set(slots).size).toBe(3);
    for (const [i, stream] of publisher.streams.entries())
      expect(await client.cluster('KEYSLOT', stream)).toBe(slots[i]);
    const messages = Array.from({ length: 60 }, (_, i) => ({
      operation_id: `op-${i}`,
      task_id: `task-${i}`,
      success: true,
    }));
    const ids = await publisher.publishMany(messages);
    expect(await publisher.publishMany(messages)).toEqual(ids);
    // Repeats inside one batch, spread over the partitions, get the first id and add nothing.
    expect(await publisher.publishMany([...messages.slice(0, 30), ...messages.slice(0, 30)])).toEqual([
      ...ids.slice(0, 30),
      ...ids.slice(0, 30),
    ]);
    expect(await publisher.publish(messages[5]!)).toBe(ids[5]);
    for (const [i, id] of ids.entries()) {
      const stream = publisher.streams[partitionFor(`task-${i}`, 3)]!;
      expect(await client.xrange(stream, id, id)).toHaveLength(1);
      expect(await client.cluster('KEYSLOT', publishedMarkerKey(stream, `op-${i}`))).toBe(keySlot(stream));
    }
    const lengths = await Promise.all(publisher.streams.map((stream) => client.xlen(stream)));
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(60);
  });
});

import { DATA_FIELD, deadLetterStreamFor } from '@chat/completion-schema';
import { type RedisCluster, startCluster } from '@chat/testing';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CompletionConsumer,
  listDeadLetters,
  replayDeadLetter,
  trimStreamSafely,
} from '../src/index.js';
import { publish, startConsumer, waitFor } from './helpers.js';

describe('on Redis Cluster', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  const consumers: CompletionConsumer[] = [];
  beforeAll(async () => {
    cluster = await startCluster({ replicasPerMaster: 0 });
    client = new Cluster(cluster.startupNodes);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.close()));
    await client?.quit();
    await cluster?.stop();
  });

  it('consumes, dead-letters and replays with every script on one slot', async () => {
    // Untagged, as the default stream is: its dead-letter stream {stream}:dlq hashes to the same slot.
    const stream = `cluster:completions:${Date.now()}`;
    const handled: string[] = [];
    await startConsumer(
      { redis: client, stream, group: 'g', handler: async (m) => void handled.push(m.operation_id) },
      consumers,
    );
    await publish(client, stream, 3);
    await client.xadd(stream, '*', DATA_FIELD, 'not json');
    await waitFor(() => handled.length === 3, 20_000, 'handled on the cluster');
    await waitFor(async () => (await client.xlen(deadLetterStreamFor(stream))) === 1, 20_000, 'dead letter');
    const [letter] = await listDeadLetters({ redis: client, stream });
    expect(letter?.reason).toBe('invalid_json');
    expect(await replayDeadLetter({ redis: client, stream }, letter?.id as string)).toBeTruthy();
    await waitFor(async () => (await client.xlen(deadLetterStreamFor(stream))) === 1, 20_000, 'dead again');
    expect((await trimStreamSafely(client, stream)).removed).toBeGreaterThan(0);
  });
});

// `chat-pipeline` against a real 3-master Redis Cluster with 3 partition streams (one cluster for the file).
import { CompletionConsumer } from '@chat/completion-consumer';
import { deadLetterStreamFor, partitionFor, partitionStreams } from '@chat/completion-schema';
import { createStreamRegistry } from '@chat/stream-registry';
import { type RedisCluster, startCluster, uniquePrefix, waitFor } from '@chat/testing';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineStatus } from '../src/index.js';
import { jsonOf, oneLineReason, runCliProcess } from './cli-process.js';

describe('chat-pipeline on a Redis Cluster', () => {
  let cluster: RedisCluster;
  let redis: Cluster;
  let env: Record<string, string>;
  const prefix = uniquePrefix('cli-cluster');
  const base = `${prefix}completions`;
  const streams = partitionStreams(base, 3);

  beforeAll(async () => {
    cluster = await startCluster({ masters: 3, replicasPerMaster: 0 });
    redis = new Cluster(cluster.startupNodes);
    env = {
      REDIS_CLUSTER_NODES: cluster.startupNodes.map((n) => `${n.host}:${n.port}`).join(','),
      KEY_LAYOUT: 'cluster',
      KEY_PREFIX: prefix,
      COMPLETION_STREAM: base,
      PARTITIONS: '3',
    };
  }, 120_000);

  afterAll(async () => {
    await redis?.quit();
    await cluster?.stop();
  });

  it('publishes to the task partition, reports every partition, lists and replays a dead letter where it lives', async () => {
    const tasks = ['a', 'b', 'c', 'd'];
    const published = await Promise.all(
      tasks.map((task) =>
        runCliProcess(['publish', '--operation-id', `op-${task}`, '--task-id', task, '--json'], env),
      ),
    );
    for (const [i, run] of published.entries())
      expect(jsonOf(run).stream).toBe(streams[partitionFor(tasks[i] as string, 3)]);

    // A malformed entry on partition 1, dead-lettered by a real consumer of that partition.
    const stream = streams[1] as string;
    await redis.xadd(stream, '*', 'data', '{oops');
    const consumer = new CompletionConsumer({
      redis,
      stream,
      group: 'chat_consumers',
      consumer: 'c1',
      handler: async () => {},
    });
    await consumer.start();
    await waitFor(
      async () => (await redis.xlen(deadLetterStreamFor(stream))) === 1,
      15_000,
      'the dead letter',
    );
    await consumer.close();

    const [statusRun, listRun, table] = await Promise.all([
      runCliProcess(['status', '--json'], env),
      runCliProcess(['dlq', 'list', '--json'], env),
      runCliProcess(['status'], env),
    ]);
    const { partitions } = jsonOf<PipelineStatus>(statusRun);
    expect(partitions.map((p) => p.stream)).toEqual(streams);
    expect(partitions.map((p) => p.deadLetters.total)).toEqual([0, 1, 0]);
    expect(partitions[1]).toMatchObject({
      group: { exists: true, lag: 0, pending: 0 },
      deadLetters: { byReason: { invalid_json: 1 } },
    });
    expect(table.stdout).toMatch(
      new RegExp(`1\\s+${stream.replace(/[{}]/g, '\\$&')}\\s+\\d+\\s+0\\s+0\\s+-\\s+1`),
    );
    const [letter] = jsonOf<{ letters: { id: string; partition: number }[] }>(listRun).letters;
    expect(letter?.partition).toBe(1);

    const replayed = jsonOf<{ replayedAs: string }>(
      await runCliProcess(['dlq', 'replay', letter!.id, '--json'], env),
    );
    expect(await redis.xrange(stream, replayed.replayedAs, replayed.replayedAs)).toEqual([
      [replayed.replayedAs, ['data', '{oops']],
    ]);
    expect(await redis.xlen(deadLetterStreamFor(stream))).toBe(0);
  });

  it('task show reads the cluster key layout; a cluster node given as REDIS_URL is refused with the fix', async () => {
    const registry = createStreamRegistry({ redis, keyLayout: 'cluster', keyPrefix: prefix });
    await registry.createTask({
      taskId: 'k1',
      sessionId: 's',
      userId: null,
      toolCallId: 'call-k1',
      toolName: 't',
      operationId: 'op-k1',
    });
    await registry.close();
    const node = cluster.startupNodes[0]!;
    const [shown, single] = await Promise.all([
      runCliProcess(['task', 'show', 'k1', '--json'], env),
      runCliProcess(['status'], {
        REDIS_URL: `redis://${node.host}:${node.port}`,
        COMPLETION_STREAM: base,
        PARTITIONS: '3',
      }),
    ]);
    expect(jsonOf(shown)).toMatchObject({
      metaKey: `${prefix}task:meta:{k1}`,
      hash: { status: 'running' },
      operation: { taskId: 'k1' },
    });
    expect(single.code).toBe(1);
    expect(oneLineReason(single)).toBe(
      'chat-pipeline: this Redis is a cluster node: connect with REDIS_CLUSTER_NODES=host:port,… and KEY_LAYOUT=cluster instead of REDIS_URL',
    );
  });
});

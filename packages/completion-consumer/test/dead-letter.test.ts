import { DATA_FIELD, deadLetterStreamFor } from '@chat/completion-schema';
import { describe, expect, it } from 'vitest';
import { listDeadLetters, PermanentError, RetryableError } from '../src/index.js';
import { names, pendingCount, publish, sharedRedisSuite, startConsumer, waitFor } from './helpers.js';

describe('delivery limit, backoff and the dead-letter stream', () => {
  const { redis, consumers } = sharedRedisSuite();

  it('a poison message reaches the DLQ after exactly maxDeliveries handler runs, with backoff between them', async () => {
    const { stream, group } = names('poison');
    const runs: { deliveryCount: number; at: number }[] = [];
    const retries: number[] = [];
    const consumer = await startConsumer(
      {
        redis,
        stream,
        group,
        consumer: 'c',
        maxDeliveries: 4,
        backoff: { baseMs: 100, maxMs: 400, jitter: 0 },
        handler: async (_m, ctx) => {
          runs.push({ deliveryCount: ctx.deliveryCount, at: Date.now() });
          throw new Error('boom');
        },
      },
      consumers,
    );
    consumer.on('retry', (info) => retries.push(info.delayMs));
    const [id] = await publish(redis, stream, 1);
    await waitFor(async () => (await redis.xlen(deadLetterStreamFor(stream))) === 1, 15_000, 'dead letter');
    expect(runs.map((r) => r.deliveryCount)).toEqual([1, 2, 3, 4]);
    expect(retries).toEqual([100, 200, 400]);
    // Each retry waited at least its backoff (a lower bound, so safe on a slow machine).
    for (let i = 1; i < runs.length; i++)
      expect((runs[i]?.at ?? 0) - (runs[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual((retries[i - 1] ?? 0) - 5);
    const [letter] = await listDeadLetters({ redis, stream });
    expect(letter).toMatchObject({ reason: 'max_deliveries', error: 'boom', deliveryCount: 4, sourceId: id });
    expect(letter?.sourceStream).toBe(stream);
    expect(letter?.consumer).toBe('c');
    expect(letter?.data).toBe((await redis.xrange(stream, id as string, id as string))[0]?.[1][1]);
    expect(await pendingCount(redis, stream, group)).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(runs).toHaveLength(4);
    const metrics = await consumer.metrics();
    expect(metrics.counters).toMatchObject({ failed: 4, retried: 3, deadLettered: { max_deliveries: 1 } });
  });

  it('PermanentError dead-letters at once with its reason', async () => {
    const { stream, group } = names('permanent');
    let runs = 0;
    await startConsumer(
      {
        redis,
        stream,
        group,
        handler: async () => {
          runs++;
          throw new PermanentError('task has no session', { reason: 'invalid_task' });
        },
      },
      consumers,
    );
    await publish(redis, stream, 1);
    await waitFor(async () => (await redis.xlen(deadLetterStreamFor(stream))) === 1, 10_000, 'dead letter');
    const [letter] = await listDeadLetters({ redis, stream });
    expect(letter).toMatchObject({ reason: 'invalid_task', deliveryCount: 1, error: 'task has no session' });
    expect(runs).toBe(1);
    expect(await pendingCount(redis, stream, group)).toBe(0);
  });

  it('RetryableError is retried, then dead-lettered with its reason on the last delivery', async () => {
    const { stream, group } = names('retryable');
    const counts: number[] = [];
    await startConsumer(
      {
        redis,
        stream,
        group,
        maxDeliveries: 3,
        handler: async (_m, ctx) => {
          counts.push(ctx.deliveryCount);
          throw new RetryableError('no task yet', { reason: 'task_not_found' });
        },
      },
      consumers,
    );
    await publish(redis, stream, 1);
    await waitFor(async () => (await redis.xlen(deadLetterStreamFor(stream))) === 1, 10_000, 'dead letter');
    expect(counts).toEqual([1, 2, 3]);
    const [letter] = await listDeadLetters({ redis, stream });
    expect(letter).toMatchObject({ reason: 'task_not_found', deliveryCount: 3 });
  });

  it('an entry arriving over the limit is dead-lettered without running the handler', async () => {
    const { stream, group } = names('over-limit');
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
    const [id] = await publish(redis, stream, 1);
    await redis.xreadgroup('GROUP', group, 'crashy', 'COUNT', 1, 'STREAMS', stream, '>');
    // Crashed consumers claimed it again and again: delivery count 5, so the next claim makes it 6 > 5.
    for (let i = 0; i < 4; i++) await redis.xclaim(stream, group, 'crashy', 0, id as string);
    await redis.xclaim(stream, group, 'crashy', 0, id as string, 'IDLE', 3_600_000, 'JUSTID');
    let runs = 0;
    await startConsumer(
      {
        redis,
        stream,
        group,
        consumer: 'c',
        handler: async () => {
          runs++;
        },
      },
      consumers,
    );
    await waitFor(async () => (await redis.xlen(deadLetterStreamFor(stream))) === 1, 10_000, 'dead letter');
    const [letter] = await listDeadLetters({ redis, stream });
    expect(letter).toMatchObject({ reason: 'max_deliveries', deliveryCount: 6, sourceId: id });
    expect(runs).toBe(0);
    expect(await pendingCount(redis, stream, group)).toBe(0);
  });

  it('malformed entries of every decode error code reach the DLQ, never the handler', async () => {
    const { stream, group } = names('malformed');
    const handled: string[] = [];
    await startConsumer(
      {
        redis,
        stream,
        group,
        maxMessageBytes: 2_000,
        handler: async (m) => void handled.push(m.operation_id),
      },
      consumers,
    );
    const cases: [string, string[]][] = [
      ['missing_data_field', ['payload', '{"operation_id":"x"}', 'other', '1']],
      ['invalid_json', [DATA_FIELD, '{not json']],
      ['schema_violation', [DATA_FIELD, JSON.stringify({ operation_id: '', task_id: 't', success: 'yes' })]],
      [
        'too_large',
        [
          DATA_FIELD,
          JSON.stringify({ operation_id: 'o', task_id: 't', success: true, result: 'x'.repeat(3_000) }),
        ],
      ],
      [
        'unsupported_version',
        [DATA_FIELD, JSON.stringify({ operation_id: 'o', task_id: 't', success: true, schema_version: 2 })],
      ],
    ];
    const idsByReason = new Map<string, string>();
    for (const [reason, fields] of cases)
      idsByReason.set(reason, (await redis.xadd(stream, '*', ...fields)) as string);
    await publish(redis, stream, 1);
    await waitFor(
      async () => (await redis.xlen(deadLetterStreamFor(stream))) === cases.length,
      10_000,
      'all DLQ',
    );
    await waitFor(() => handled.length === 1, 5_000, 'the valid one handled');
    expect(handled).toEqual(['op-0']);
    const letters = await listDeadLetters({ redis, stream });
    for (const [reason, fields] of cases) {
      const letter = letters.find((l) => l.reason === reason);
      expect(letter, reason).toBeDefined();
      expect(letter?.sourceId).toBe(idsByReason.get(reason));
      expect(letter?.deliveryCount).toBe(1);
      if (reason === 'missing_data_field') {
        expect(letter?.fields).toEqual(fields);
        expect(letter?.data).toBeUndefined();
      } else expect(letter?.data).toBe(fields[1]);
    }
    await waitFor(async () => (await pendingCount(redis, stream, group)) === 0, 5_000, 'pending empty');
  });
});

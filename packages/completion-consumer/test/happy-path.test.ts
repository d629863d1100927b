import { commandCalls } from '@chat/testing';
import { describe, expect, it } from 'vitest';
import { names, ownRedisSuite, pendingCount, publish, startConsumer, waitFor } from './helpers.js';

describe('happy path', () => {
  // An own server so INFO commandstats counts only this suite's commands.
  const suite = ownRedisSuite();
  const { consumers } = suite;

  it('1 000 messages with concurrency 16: each handled once, acked, pending list empty, never over 16 in flight', async () => {
    const { redis } = suite;
    const { stream, group } = names('happy');
    const seen = new Map<string, number>();
    let running = 0;
    let maxRunning = 0;
    const consumer = await startConsumer(
      {
        redis,
        stream,
        group,
        consumer: 'c1',
        concurrency: 16,
        handler: async (message) => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          await new Promise((r) => setTimeout(r, Math.random() * 3));
          seen.set(message.operation_id, (seen.get(message.operation_id) ?? 0) + 1);
          running--;
        },
      },
      consumers,
    );
    await redis.config('RESETSTAT');
    const ids = await publish(redis, stream, 1_000);
    await waitFor(() => seen.size === 1_000, 30_000, '1000 handled');
    await waitFor(async () => (await pendingCount(redis, stream, group)) === 0, 10_000, 'pending empty');
    const calls = await commandCalls(redis);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(maxRunning).toBeLessThanOrEqual(16);
    const metrics = await consumer.metrics();
    expect(metrics.counters.processed).toBe(1_000);
    expect(metrics.counters.acked).toBe(1_000);
    expect(metrics.pending).toBe(0);
    expect(metrics.lag).toBe(0);
    expect(metrics.handlerDurationMs.count).toBe(1_000);
    expect(metrics.endToEndLatencyMs.p99).toBeGreaterThan(0);
    expect(ids).toHaveLength(1_000);
    // Round trips the consumer spent (publishing is 1 000 XADDs in one pipeline; INFO and XPENDING are the test's).
    const consumerCalls =
      (calls.xreadgroup ?? 0) +
      (calls.xack ?? 0) +
      (calls.evalsha ?? 0) +
      (calls.eval ?? 0) +
      (calls.xautoclaim ?? 0);
    process.stdout.write(
      `[round trips] 1000 messages: xreadgroup=${calls.xreadgroup ?? 0} xack=${calls.xack ?? 0} ` +
        `evalsha=${calls.evalsha ?? 0} → ${(consumerCalls / 1_000).toFixed(3)} per message\n`,
    );
    expect(consumerCalls).toBeLessThan(1_000);
  });

  it('a backlog of 1 000 is drained with batched reads and acks (round trips per message)', async () => {
    const { redis } = suite;
    const { stream, group } = names('backlog');
    await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
    await publish(redis, stream, 1_000);
    let handled = 0;
    await redis.config('RESETSTAT');
    await startConsumer(
      {
        redis,
        stream,
        group,
        consumer: 'c2',
        concurrency: 16,
        handler: async () => {
          handled++;
        },
      },
      consumers,
    );
    await waitFor(() => handled === 1_000, 30_000, 'backlog drained');
    await waitFor(async () => (await pendingCount(redis, stream, group)) === 0, 10_000, 'pending empty');
    const calls = await commandCalls(redis);
    const perMessage =
      ((calls.xreadgroup ?? 0) + (calls.xack ?? 0) + (calls.evalsha ?? 0) + (calls.eval ?? 0)) / 1_000;
    process.stdout.write(
      `[round trips] backlog of 1000: xreadgroup=${calls.xreadgroup ?? 0} xack=${calls.xack ?? 0} ` +
        `evalsha=${(calls.evalsha ?? 0) + (calls.eval ?? 0)} → ${perMessage.toFixed(3)} per message\n`,
    );
    expect(perMessage).toBeLessThan(0.5);
  });
});

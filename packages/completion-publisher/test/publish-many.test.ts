import { decode } from '@chat/completion-schema';
import { commandCalls, uniquePrefix } from '@chat/testing';
import { ownRedisServer } from '@chat/testing/suite';
import { describe, expect, it } from 'vitest';
import {
  createPublisher,
  InvalidBatchError,
  MessageTooLargeError,
  MessageValidationError,
} from '../src/index.js';
import { watchSocket } from './helpers.js';

const batch = (n: number, label: string) =>
  Array.from({ length: n }, (_, i) => ({
    operation_id: `${label}-${i}`,
    task_id: `task-${i}`,
    success: true,
    result: { i },
  }));

describe('publishMany', () => {
  // A server of our own, so INFO commandstats counts only this file's commands.
  const own = ownRedisServer();

  for (const idempotency of [false, true]) {
    it(`publishes 1 000 messages in order in one round trip (idempotency ${idempotency ? 'on' : 'off'})`, async () => {
      const { redis, probe } = own;
      const stream = `${uniquePrefix('many')}completions`;
      const publisher = createPublisher({ redis, stream, idempotency, maxLen: { strategy: 'off' } });
      await redis.ping(); // connected before we watch the socket
      await probe.config('RESETSTAT');
      const messages = batch(1000, `many-${idempotency}`);
      const {
        result: ids,
        writes,
        writesAfterFirstReply,
      } = await watchSocket(redis, () => publisher.publishMany(messages));
      const calls = await commandCalls(probe);

      expect(writes).toBe(1);
      expect(writesAfterFirstReply).toBe(0);
      if (idempotency) {
        // ioredis sends the script body once per connection (EVAL), then its SHA (EVALSHA).
        expect((calls.eval ?? 0) + (calls.evalsha ?? 0)).toBe(1000);
      }
      // XADD runs 1 000 times whether sent directly or from inside the script.
      expect(calls.xadd).toBe(1000);

      const entries = (await probe.xrange(stream, '-', '+')) as [string, string[]][];
      expect(entries.map(([id]) => id)).toEqual(ids);
      const decoded = entries.map(([, fields]) => decode(fields));
      expect(decoded.map((d) => (d.ok ? d.message.operation_id : d.error.code))).toEqual(
        messages.map((m) => m.operation_id),
      );
    });
  }

  it('sends nothing when any message is invalid and names every bad index', async () => {
    const { redis, probe } = own;
    const stream = `${uniquePrefix('bad-batch')}completions`;
    const publisher = createPublisher({ redis, stream, maxMessageBytes: 200 });
    const messages: unknown[] = batch(10, 'bad');
    messages[3] = { operation_id: '', task_id: 't', success: true };
    messages[7] = { operation_id: 'big', task_id: 't', success: true, result: 'x'.repeat(500) };
    const error = await publisher
      .publishMany(messages as Parameters<typeof publisher.publishMany>[0])
      .catch((e: unknown) => e);
    expect(InvalidBatchError.isInstance(error)).toBe(true);
    if (!InvalidBatchError.isInstance(error)) return;
    expect(error.code).toBe('invalid_batch');
    expect(error.failures.map((f) => f.index)).toEqual([3, 7]);
    expect(MessageValidationError.isInstance(error.failures[0]!.error)).toBe(true);
    expect(MessageTooLargeError.isInstance(error.failures[1]!.error)).toBe(true);
    expect(error.message).toMatch(/#3: .*operation_id/);
    expect(await probe.exists(stream)).toBe(0);
  });

  it('returns [] for an empty batch without a round trip', async () => {
    const { redis } = own;
    const publisher = createPublisher({ redis, stream: `${uniquePrefix('empty')}completions` });
    await redis.ping();
    const { result, writes } = await watchSocket(redis, () => publisher.publishMany([]));
    expect(result).toEqual([]);
    expect(writes).toBe(0);
  });

  it('gives repeated operation_ids in one batch the first id (idempotency on)', async () => {
    const { redis, probe } = own;
    const stream = `${uniquePrefix('dup-batch')}completions`;
    const publisher = createPublisher({ redis, stream });
    const ids = await publisher.publishMany([
      { operation_id: 'a', task_id: 't', success: true },
      { operation_id: 'b', task_id: 't', success: true },
      { operation_id: 'a', task_id: 't', success: false, error: 'late' },
    ]);
    expect(ids[2]).toBe(ids[0]);
    expect(ids[1]).not.toBe(ids[0]);
    expect(await probe.xlen(stream)).toBe(2);
  });
});

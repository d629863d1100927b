import { decode, encodeData, SCHEMA_VERSION } from '@chat/completion-schema';
import { commandCalls, uniquePrefix } from '@chat/testing';
import { ownRedisServer } from '@chat/testing/suite';
import { describe, expect, it } from 'vitest';
import {
  createPublisher,
  InvalidBatchError,
  MessageTooLargeError,
  MessageValidationError,
  publishedMarkerKey,
} from '../src/index.js';
import { readData, watchSocket } from './helpers.js';

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
        // One script call for the whole batch (EVAL the first time on a connection, EVALSHA after), not one per
        // message: the script reads every marker with one MGET and writes one marker per new entry.
        expect((calls.eval ?? 0) + (calls.evalsha ?? 0)).toBe(1);
        expect(calls.mget).toBe(1);
        expect(calls.set).toBe(1000);
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

  it('adds nothing for operations an earlier batch or publish() published, and only the new ones', async () => {
    const { redis, probe } = own;
    const stream = `${uniquePrefix('dup-across')}completions`;
    const publisher = createPublisher({ redis, stream });
    const first = await publisher.publishMany(batch(5, 'across'));
    const single = await publisher.publish({ operation_id: 'solo', task_id: 't', success: true });
    // A retry of the first batch with two new operations mixed in, one of them repeated, and the single one.
    const retry = [
      ...batch(5, 'across').reverse(),
      { operation_id: 'new-1', task_id: 't', success: true },
      { operation_id: 'solo', task_id: 't', success: false, error: 'retried' },
      { operation_id: 'new-2', task_id: 't', success: true },
      { operation_id: 'new-1', task_id: 't', success: false, error: 'repeated' },
    ];
    const ids = await publisher.publishMany(retry);
    expect(ids.slice(0, 5)).toEqual([...first].reverse());
    expect(ids[6]).toBe(single);
    expect(ids[8]).toBe(ids[5]);
    expect(await publisher.publish({ operation_id: 'new-2', task_id: 't', success: true })).toBe(ids[7]);
    const entries = (await probe.xrange(stream, '-', '+')) as [string, string[]][];
    expect(entries.map(([id]) => id)).toEqual([...first, single, ids[5], ids[7]]);
    expect(await probe.get(publishedMarkerKey(stream, 'new-1'))).toBe(ids[5]);
  });

  it('keeps duplicates apart across the script calls of one large batch', async () => {
    const { redis, probe } = own;
    const stream = `${uniquePrefix('dup-large')}completions`;
    const publisher = createPublisher({ redis, stream });
    await probe.config('RESETSTAT');
    // More messages than one script call takes, with operations repeated across the split.
    const messages = [...batch(1500, 'large'), ...batch(1500, 'large')];
    const ids = await publisher.publishMany(messages);
    const calls = await commandCalls(probe);
    expect((calls.eval ?? 0) + (calls.evalsha ?? 0)).toBe(3);
    expect(ids.slice(1500)).toEqual(ids.slice(0, 1500));
    expect(new Set(ids).size).toBe(1500);
    expect(await probe.xlen(stream)).toBe(1500);
  });

  it('writes every message of a batch as its stamped copy encodes, whichever stamps it lacks and in any key order', async () => {
    const { redis } = own;
    const stream = `${uniquePrefix('stamped')}completions`;
    const publisher = createPublisher({ redis, stream, idempotency: false, traceContext: false });
    const base = { operation_id: 'op', task_id: 't', success: true };
    const messages: Record<string, unknown>[] = [
      { ...base, operation_id: 'python-order', result: { a: [1] }, error: null },
      { error: 'boom', success: false, task_id: 't', operation_id: 'other-order' },
      { ...base, operation_id: 'no-error', result: 'text', extra: { kept: true } },
      { ...base, operation_id: 'own-published-at', published_at: '2026-01-02T03:04:05.000Z' },
      { ...base, operation_id: 'own-version', schema_version: 1 },
      { ...base, operation_id: 'undefined-version', result: null, schema_version: undefined, error: null },
      JSON.parse('{"operation_id":"proto-key","task_id":"t","success":true,"__proto__":{"kept":1}}'),
    ];
    const ids = await publisher.publishMany(messages as never);
    const written = await Promise.all(ids.map((id) => readData(redis, stream, id)));
    // One published_at for the batch: the first message's, which it did not carry.
    const at = JSON.parse(written[0]!).published_at as string;
    written.forEach((data, i) => {
      const message = messages[i]!;
      // What the publisher wrote before encoding learnt to append the stamps: the stamped copy, encoded.
      const additions: Record<string, string> = {};
      if (message.schema_version === undefined) additions.schema_version = SCHEMA_VERSION;
      if (message.published_at === undefined) additions.published_at = at;
      expect(data).toBe(encodeData({ ...message, ...additions } as never));
    });
  });
});

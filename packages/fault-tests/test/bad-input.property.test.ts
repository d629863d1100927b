import type { ConsumerState } from '@chat/completion-consumer';
import { deadLetterStreamFor, decode } from '@chat/completion-schema';
import { silentLogger } from '@chat/completion-schema/internal';
import { createWorker, loadConfig } from '@chat/consumer-worker';
import { StreamRegistry } from '@chat/stream-registry';
import { uniquePrefix, waitFor } from '@chat/testing';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { rawEntry } from '../src/entry-arbitraries.js';
import { faultScale } from '../src/scale.js';

const scale = faultScale();
const BATCH = 50;
const KNOWN_REASONS = new Set([
  'missing_data_field',
  'invalid_json',
  'schema_violation',
  'too_large',
  'too_deep',
  'unsupported_version',
  'task_not_found',
  'invalid_task',
  'permanent_error',
]);

describe(`bad input (${scale.propertyCases} arbitrary entries through the real consumer and worker handler)`, () => {
  const redis = new Redis(inject('redisUrl'));
  afterAll(() => redis.quit());

  it('every entry ends handled or dead-lettered with a reason; nothing crashes; no prototype is polluted', async () => {
    const prefix = uniquePrefix('bad-input');
    const stream = `${prefix}completions`;
    const dlq = deadLetterStreamFor(stream);
    const config = loadConfig({
      POD_NAME: 'property',
      COMPLETION_STREAM: stream,
      KEY_PREFIX: prefix,
      // One delivery: an unknown task is dead-lettered `task_not_found` at once instead of after backoff.
      MAX_DELIVERIES: '1',
      CONCURRENCY: '32',
      LOG_LEVEL: 'silent',
    });
    const worker = createWorker({ config, redis, logger: silentLogger, http: false });
    const registry = new StreamRegistry({ redis, keyPrefix: prefix });
    const outcomes = new Map<string, string[]>();
    const note = (id: string, outcome: string) => outcomes.set(id, [...(outcomes.get(id) ?? []), outcome]);
    worker.consumer.on('processed', ({ entryId }) => note(entryId, 'handled'));
    worker.consumer.on('deadLettered', ({ entryId, reason }) => note(entryId, `dead:${reason}`));
    const states: ConsumerState[] = [];
    worker.consumer.on('state', (state) => states.push(state));
    const crashes: unknown[] = [];
    const onCrash = (error: unknown) => crashes.push(error);
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    const objectKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    const arrayKeys = Object.getOwnPropertyNames(Array.prototype).sort();
    await worker.start();
    let entries = 0;
    let handled = 0;
    const reasons: Record<string, number> = {};

    try {
      await fc.assert(
        fc.asyncProperty(fc.array(rawEntry, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
          outcomes.clear();
          // Fresh tasks for the op ids the arbitraries draw from, so valid messages complete something.
          const reset = redis.pipeline();
          for (let i = 0; i < 20; i++)
            reset.del(`${prefix}task:meta:t-${i}`, `${prefix}task:op:op-${i}`, `${prefix}stream:t-${i}`);
          await reset.exec();
          await Promise.all(
            Array.from({ length: 20 }, (_, i) =>
              registry.createTask({
                taskId: `t-${i}`,
                sessionId: 's',
                toolCallId: `c-${i}`,
                toolName: 'create_agent',
                operationId: `op-${i}`,
              }),
            ),
          );
          const add = redis.pipeline();
          for (const fields of batch) add.xadd(stream, '*', ...fields);
          const ids = ((await add.exec()) ?? []).map(([error, id]) => {
            if (error) throw error;
            return id as string;
          });
          await waitFor(async () => ids.every((id) => outcomes.has(id)), 60_000, 'every entry settled');
          await waitFor(async () => ((await redis.xpending(stream, 'chat_consumers')) as [number])[0] === 0);

          const read = redis.pipeline();
          for (const id of ids) read.xrange(stream, id, id);
          const stored = ((await read.exec()) ?? []).map(([, rows]) => (rows as [string, string[]][])[0]![1]);
          const letters = (await redis.xrange(dlq, '-', '+')) as [string, string[]][];
          const letterReason = new Map<string, string>();
          for (const [, fields] of letters) {
            const f = Object.fromEntries(
              Array.from({ length: fields.length / 2 }, (_, i) => [fields[2 * i], fields[2 * i + 1]]),
            );
            expect(letterReason.has(f.source_id!)).toBe(false);
            letterReason.set(f.source_id!, f.reason!);
          }
          for (const [i, id] of ids.entries()) {
            const seen = outcomes.get(id)!;
            expect(seen).toHaveLength(1);
            const outcome = seen[0]!;
            if (outcome === 'handled') {
              // Only a valid message reaches the handler and resolves.
              expect(decode(stored[i]).ok).toBe(true);
              expect(letterReason.has(id)).toBe(false);
              handled++;
            } else {
              const reason = outcome.slice('dead:'.length);
              // Not max_deliveries: with one delivery allowed, that would mean an entry decode accepted made the
              // handler throw (a 200 000-level result once did, overflowing the worker's recursion).
              expect(KNOWN_REASONS.has(reason), `entry ${id} dead-lettered ${reason}`).toBe(true);
              expect(letterReason.get(id)).toBe(reason);
              reasons[reason] = (reasons[reason] ?? 0) + 1;
            }
          }
          expect(letterReason.size).toBe(ids.filter((id) => outcomes.get(id)![0] !== 'handled').length);
          expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(objectKeys);
          expect(Object.getOwnPropertyNames(Array.prototype).sort()).toEqual(arrayKeys);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
          expect(worker.consumer.state).toBe('ready');
          expect(crashes).toEqual([]);
          entries += ids.length;
          // Keep Redis small: the batch is checked, its entries and dead letters are no longer needed.
          await redis
            .pipeline()
            .xdel(stream, ...ids)
            .del(dlq)
            .exec();
        }),
        { numRuns: Math.ceil(scale.propertyCases / BATCH) },
      );
    } finally {
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onCrash);
      await worker.close();
      await registry.close();
    }
    console.log(
      `bad input: ${entries} entries, ${handled} handled, dead-lettered ${JSON.stringify(reasons)}; consumer states ${states.join(' → ')}`,
    );
    expect(entries).toBeGreaterThanOrEqual(scale.propertyCases);
    // The arbitraries nest results past the depth limit (up to 200 000 levels); each must be refused as such.
    expect(reasons.too_deep).toBeGreaterThan(0);
  });
});

import { DEFAULT_TRIMMER_OPTIONS } from '@chat/completion-consumer';
import { createPublisher, type PublisherOptions } from '@chat/completion-publisher';
import { createStreamRegistry } from '@chat/stream-registry';
import { errorLog, waitFor } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createWorker } from '../src/worker.js';
import { isolatedEnv } from './helpers.js';

describe('retention of the default deployment', () => {
  const url = inject('redisUrl');
  const redis = new Redis(url);
  afterAll(() => redis.quit());

  /** Registers `n` tasks and publishes their completions (in batches) while no worker runs; returns the ids. */
  async function backlog(label: string, n: number, maxLen?: PublisherOptions['maxLen']) {
    const { env, stream, keyPrefix } = isolatedEnv(url, label);
    const registry = createStreamRegistry({ redis, keyPrefix });
    const publisher = createPublisher({ redis, stream, ...(maxLen ? { maxLen } : {}) });
    const ids: string[] = [];
    for (let from = 0; from < n; from += 1_000) {
      const batch = Array.from({ length: Math.min(1_000, n - from) }, (_, i) => `t${from + i}`);
      await Promise.all(
        batch.map((id) =>
          registry.createTask({
            taskId: id,
            sessionId: 's',
            userId: 'u',
            toolCallId: `call-${id}`,
            toolName: 'run_block',
            operationId: `op-${id}`,
          }),
        ),
      );
      ids.push(
        ...(await publisher.publishMany(
          batch.map((id) => ({ operation_id: `op-${id}`, task_id: id, success: true, result: 'ok' })),
        )),
      );
    }
    await registry.close();
    return { env, stream, ids };
  }

  it('keeps a 20 000-entry backlog whole, consumes every entry, then trims only acknowledged ones', async () => {
    // Everything at its default; the trim interval's default is on, and shortened here only so the test does
    // not wait a minute for the first tick (trimming during the drain must not remove unread entries either).
    expect(loadConfig({}).trimIntervalMs).toBe(DEFAULT_TRIMMER_OPTIONS.intervalMs);
    expect(DEFAULT_TRIMMER_OPTIONS.intervalMs).toBeGreaterThan(0);
    const { env, stream, ids } = await backlog('retention-backlog', 20_000);
    expect(await redis.xlen(stream)).toBe(20_000);

    const config = loadConfig({ ...env, TRIM_INTERVAL_MS: '200' } as NodeJS.ProcessEnv);
    const { logger, errors } = errorLog();
    const worker = createWorker({ config, redis, logger, http: false });
    const handled = new Set<string>();
    worker.consumer.on('processed', ({ entryId }) => handled.add(entryId));
    await worker.start();
    try {
      await waitFor(() => handled.size === 20_000, 110_000, 'all 20 000 handled');
      expect([...handled].sort()).toEqual([...ids].sort());
      expect(await worker.metrics.outcomeCount('completed')).toBe(20_000);
      await waitFor(
        async () => Number(((await redis.xpending(stream, config.group)) as [number])[0]) === 0,
        10_000,
        'all acknowledged',
      );
      // After the drain the trimmer removes everything acknowledged; MINID keeps the group's last-delivered entry.
      await waitFor(async () => (await redis.xlen(stream)) === 1, 10_000, 'trimmed after the drain');
      expect((await redis.xrange(stream, '-', '+')).map(([id]) => id)).toEqual([ids[ids.length - 1]]);
      const counters = (await worker.consumer.metrics()).counters;
      expect(counters.trimmedUnread).toBe(0);
      expect(counters.lost).toBe(0);
      expect(errors.filter((e) => e.message.includes('trimmed'))).toEqual([]);
    } finally {
      await worker.close();
    }
  }, 180_000);

  it('a forced tiny cap: the 900 entries trimmed before the group read them are in /metrics and logged', async () => {
    const { env, stream, ids } = await backlog('retention-cap', 1_000, { strategy: 'exact', count: 100 });
    expect(await redis.xlen(stream)).toBe(100);
    const config = loadConfig(env as NodeJS.ProcessEnv);
    const { logger, errors } = errorLog();
    const worker = createWorker({ config, redis, logger, http: false });
    await worker.start();
    try {
      const metric = `chat_consumer_trimmed_unread_total{stream="${stream}",group="${config.group}"}`;
      expect((await worker.metrics.render()).body).toContain(`${metric} 900`);
      const lost = errors.filter((e) => e.message.includes('before the group read them'));
      expect(lost).toHaveLength(1);
      expect(lost[0]?.fields).toMatchObject({ count: 900, afterId: '0-0', beforeId: ids[900] });
      await waitFor(
        async () => (await worker.metrics.outcomeCount('completed')) === 100,
        30_000,
        'the 100 kept completed',
      );
      expect((await worker.metrics.render()).body).toContain(`${metric} 900`);
    } finally {
      await worker.close();
    }
  });
});

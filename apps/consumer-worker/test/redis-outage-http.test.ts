import { type RedisServer, startRedis, waitFor } from '@chat/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, startWorkerProcess } from './helpers.js';

/** What a scrape must never exceed, whatever Redis does (the target is about 1 s; generous so it never flakes). */
const ANSWER_BOUND_MS = 3_000;

describe('/metrics and /readyz while Redis is unavailable', () => {
  let redis: RedisServer;
  let worker: Awaited<ReturnType<typeof startWorkerProcess>>['worker'];
  let http: string;
  const durations: { path: string; ms: number }[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    ({ worker, http } = await startWorkerProcess(isolatedEnv(redis.url, 'outage').env));
  });
  afterAll(async () => {
    worker.child.kill('SIGTERM');
    await worker.exited;
    await redis.stop({ removeData: true });
  });

  /** GETs `path`, recording how long the whole answer took; a hang fails the request after 10 s. */
  const get = async (path: string) => {
    const started = performance.now();
    const response = await fetch(`${http}${path}`, { signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    durations.push({ path, ms: performance.now() - started });
    return { status: response.status, text };
  };
  const stale = (text: string) => /^chat_consumer_metrics_stale\{[^}]*\} (\d)$/m.exec(text)?.[1];
  const inState = (text: string, state: string) =>
    new RegExp(`^chat_consumer_state\\{[^}]*state="${state}"\\} 1$`, 'm').test(text);
  const slowest = () => Math.max(...durations.map((d) => d.ms));

  /** Redis is back: the next scrapes become fresh again and the consumer ready. */
  const recovered = async () => {
    await waitFor(async () => {
      const { text } = await get('/metrics');
      return stale(text) === '0' && inState(text, 'ready');
    }, 30_000);
    await waitFor(async () => (await get('/readyz')).status === 200, 30_000);
  };

  it('serves fresh values while Redis is up', async () => {
    const { text } = await get('/metrics');
    expect(stale(text)).toBe('0');
    expect(text).toMatch(/^chat_consumer_metrics_last_success_timestamp_seconds\{[^}]*\} \d+(\.\d+)?$/m);
    expect(text).toMatch(/^chat_consumer_pending\{/m);
  });

  it('redis-server stopped: both answer in time, with the last known values marked stale and state degraded', async () => {
    durations.length = 0;
    await redis.stop();
    try {
      const text = await waitFor(async () => {
        const scrape = await get('/metrics');
        return scrape.status === 200 && inState(scrape.text, 'degraded') && scrape.text;
      }, 30_000);
      expect(stale(text)).toBe('1');
      // The last known Redis-side values are still there, not dropped.
      expect(text).toMatch(/^chat_consumer_pending\{/m);
      const ready = await get('/readyz');
      expect(ready.status).toBe(503);
      expect(JSON.parse(ready.text).checks[0]).toMatchObject({ name: 'redis', ok: false });
      for (let i = 0; i < 3; i++) expect(stale((await get('/metrics')).text)).toBe('1');
      console.log(`slowest answer ${Math.round(slowest())} ms over ${durations.length} requests`);
      expect(slowest()).toBeLessThan(ANSWER_BOUND_MS);
    } finally {
      await redis.start();
    }
    await recovered();
  });

  it('redis-server frozen by SIGSTOP: both answer in time, stale and degraded', async () => {
    durations.length = 0;
    process.kill(redis.pid, 'SIGSTOP');
    try {
      const first = await get('/metrics');
      expect(first.status).toBe(200);
      expect(stale(first.text)).toBe('1');
      const ready = await get('/readyz');
      expect(ready.status).toBe(503);
      expect(JSON.parse(ready.text).checks[0]).toMatchObject({ name: 'redis', ok: false });
      // The consumer notices the frozen server once its blocking read outlives BLOCK plus slack.
      const text = await waitFor(async () => {
        const scrape = await get('/metrics');
        return inState(scrape.text, 'degraded') && scrape.text;
      }, 30_000);
      expect(stale(text)).toBe('1');
      console.log(`slowest answer ${Math.round(slowest())} ms over ${durations.length} requests`);
      expect(slowest()).toBeLessThan(ANSWER_BOUND_MS);
    } finally {
      process.kill(redis.pid, 'SIGCONT');
    }
    await recovered();
  });
});

import { spawnSync } from 'node:child_process';
import { type RedisServer, startRedis, waitFor } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, startWorkerProcess } from './helpers.js';

// promtool comes with Debian's `prometheus` package; without it this check has nothing to run.
const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
if (!promtool) console.log('[skip] promtool not found (apt-get install prometheus): /metrics lint skipped');

describe.skipIf(!promtool)('/metrics of a running worker', () => {
  let server: RedisServer;
  let redis: Redis;
  let worker: Awaited<ReturnType<typeof startWorkerProcess>>['worker'];
  let http: string;
  let stream: string;

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
    const isolated = isolatedEnv(server.url, 'promtool');
    stream = isolated.stream;
    ({ worker, http } = await startWorkerProcess(isolated.env));
  });
  afterAll(async () => {
    worker?.child.kill('SIGTERM');
    await worker?.exited;
    await redis?.quit();
    await server?.stop({ removeData: true });
  });

  it('passes promtool check metrics, with every consumer family present', async () => {
    // A malformed entry is dead-lettered at once: the labelled counters and the histograms get series.
    await redis.xadd(stream, '*', 'data', 'not json');
    const text = await waitFor(async () => {
      const response = await fetch(`${http}/metrics`, { signal: AbortSignal.timeout(10_000) });
      const body = await response.text();
      return /^chat_consumer_dead_lettered_total\{[^}]*reason="invalid_json"\} 1$/m.test(body) && body;
    }, 30_000);
    for (const family of [
      'chat_consumer_processed_total',
      'chat_consumer_trimmed_unread_total',
      'chat_consumer_pending',
      'chat_consumer_state',
      'chat_consumer_metrics_stale',
      'chat_consumer_metrics_last_success_timestamp_seconds',
      'chat_consumer_handler_duration_seconds',
      'chat_consumer_end_to_end_latency_seconds',
      'chat_completions_total',
    ])
      expect(text).toContain(`# TYPE ${family} `);
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    const problems = `${lint.stdout}${lint.stderr}`.split('\n').filter((line) => line.trim() !== '');
    // prom-client's default process metrics name three gauges `*_total`; ours, and anything unparsable, must be clean.
    const PROM_CLIENT_DEFAULTS = /^nodejs_active_(handles|requests|resources)_total non-counter metrics/;
    expect(problems.filter((line) => !PROM_CLIENT_DEFAULTS.test(line))).toEqual([]);
    expect(lint.error).toBeUndefined();
  });
});

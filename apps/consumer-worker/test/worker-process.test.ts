import { createPublisher } from '@chat/completion-publisher';
import { createStreamRegistry } from '@chat/stream-registry';
import { waitFor } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  completeWhileWatching,
  isolatedEnv,
  spawnWorker,
  startChatApi,
  startWorkerProcess,
} from './helpers.js';

describe('the worker as a real child process', () => {
  const url = inject('redisUrl');
  const redis = new Redis(url);
  afterAll(() => redis.quit());

  it('publish → task completed → an SSE client sees the tool output and finish; a redelivery changes nothing', async () => {
    const { env, stream, keyPrefix } = isolatedEnv(url, 'e2e');
    const { worker } = await startWorkerProcess(env);
    const registry = createStreamRegistry({ redis, keyPrefix });
    const api = await startChatApi(registry);
    const publisher = createPublisher({ redis, stream });
    try {
      const {
        entryId,
        sse: { status, headers, events, done },
      } = await completeWhileWatching(api, registry, publisher, {
        taskId: 'task-1',
        userId: 'u1',
        toolCallId: 'call-1',
        operationId: 'op-1',
        result: { agent: 'a-1', password: 'hunter2' },
      });
      expect(status).toBe(200);
      expect(headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
      expect(done).toBe(true);
      // Stored in the original's dialect (toolName, success), served with the protocol's fields only.
      expect(events.map((e) => e.data)).toEqual([
        JSON.stringify({
          type: 'tool-output-available',
          toolCallId: 'call-1',
          output: '{"agent":"a-1","password":"[REDACTED]"}',
        }),
        JSON.stringify({ type: 'finish' }),
        '[DONE]',
      ]);
      const task = await registry.getTask('task-1');
      expect(task).toMatchObject({ status: 'completed', result: '{"agent":"a-1","password":"[REDACTED]"}' });

      // Redeliver the very same entry content, as a retrying producer or a reclaim would.
      const [[, fields]] = (await redis.xrange(stream, entryId, entryId)) as [[string, string[]]];
      await redis.xadd(stream, '*', ...fields);
      await worker.waitForLog((l) => l.msg === 'completion settled' && l.outcome === 'duplicate');
      const chunks = await redis.xrange(`${keyPrefix}stream:task-1`, '-', '+');
      expect(chunks).toHaveLength(2);
      expect(await registry.getTask('task-1')).toMatchObject({
        status: 'completed',
        completedAt: task?.completedAt,
      });
      await waitFor(async () => ((await redis.xpending(stream, 'chat_consumers')) as [number])[0] === 0);
    } finally {
      await publisher.close();
      await registry.close();
      await api.close();
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    }
  });

  it('/readyz and /metrics answer as documented', async () => {
    const { env } = isolatedEnv(url, 'http');
    const { worker, http } = await startWorkerProcess(env);
    try {
      expect((await fetch(`${http}/healthz`)).status).toBe(200);
      const ready = await fetch(`${http}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        status: 'ready',
        checks: [
          { name: 'redis', ok: true },
          { name: 'group', ok: true },
          { name: 'consumer', ok: true, detail: 'ready' },
        ],
      });
      const metrics = await fetch(`${http}/metrics`);
      expect(metrics.headers.get('content-type')).toContain('text/plain');
      const text = await metrics.text();
      for (const family of [
        'process_cpu_seconds_total',
        'chat_consumer_processed_total',
        'chat_consumer_pending',
        'chat_consumer_handler_duration_seconds_bucket',
        'chat_consumer_state{',
      ]) {
        expect(text).toContain(family);
      }
      expect((await fetch(`${http}/nope`)).status).toBe(404);
    } finally {
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    }
  });

  it('bad configuration → exit code 2 and a message naming each bad variable', async () => {
    const { env } = isolatedEnv(url, 'badconfig', {
      CONCURRENCY: '0',
      HTTP_PORT: 'eighty',
      KEY_LAYOUT: 'diagonal',
      REDIS_URL: 'http://not-redis',
    });
    const worker = spawnWorker(env);
    expect(await worker.exited).toBe(2);
    for (const name of ['CONCURRENCY', 'HTTP_PORT', 'KEY_LAYOUT', 'REDIS_URL'])
      expect(worker.output()).toContain(name);
  });

  it('a misspelt variable and crossed retry bounds → exit code 2 reporting both, with "did you mean"', async () => {
    const { env } = isolatedEnv(url, 'typo', { CONCURENCY: '4', RETRY_BASE_MS: '5000', RETRY_MAX_MS: '100' });
    const worker = spawnWorker(env);
    expect(await worker.exited).toBe(2);
    expect(worker.output()).toContain(
      'CONCURENCY: not a variable the worker reads; did you mean CONCURRENCY?',
    );
    expect(worker.output()).toContain('RETRY_BASE_MS: 5000 must not exceed RETRY_MAX_MS (100)');
  });
});

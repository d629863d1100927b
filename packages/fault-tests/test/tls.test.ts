import { createPublisher } from '@chat/completion-publisher';
import { completeWhileWatching, startChatApi, startWorkerProcess } from '@chat/consumer-worker/test';
import { StreamRegistry } from '@chat/stream-registry';
import { waitFor } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisHasTls, startTlsRedis, type TlsRedis } from '../src/tls-redis.js';
import { POISON_WORKER } from '../src/worker-fleet.js';

describe('TLS: a rediss:// URL end to end', () => {
  let server: TlsRedis;
  beforeAll(async () => {
    // Debian's redis-server links libssl; fail loudly rather than skip if a build without TLS turns up.
    expect(redisHasTls()).toBe(true);
    server = await startTlsRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('refuses a client that does not trust the CA', async () => {
    const client = new Redis(server.url, {
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      lazyConnect: true,
    });
    const errors: string[] = [];
    client.on('error', (error: Error) => errors.push(error.message));
    await expect(client.connect().then(() => client.ping())).rejects.toThrow();
    client.disconnect();
    expect(errors.join('\n')).toMatch(/certificate/i);
  });

  it('publisher → worker (REDIS_TLS_CA_FILE) → registry → SSE, all over TLS', async () => {
    const redis = new Redis(server.url, { tls: { ca: server.ca } });
    const registry = new StreamRegistry({ redis });
    const publisher = createPublisher({ redis });
    const { worker } = await startWorkerProcess(
      {
        REDIS_URL: server.url,
        REDIS_TLS_CA_FILE: server.caFile,
        NODE_ENV: 'production',
        HTTP_PORT: '0',
        HTTP_HOST: '127.0.0.1',
      },
      POISON_WORKER,
    );
    const api = await startChatApi(registry);
    try {
      const {
        sse: { status, events, done },
      } = await completeWhileWatching(api, registry, publisher, {
        taskId: 'tls-task',
        userId: 'u1',
        toolCallId: 'call-1',
        operationId: 'tls-op',
        result: 'over tls',
      });
      expect(status).toBe(200);
      expect(done).toBe(true);
      expect(events[0]?.data).toBe(
        JSON.stringify({ type: 'tool-output-available', toolCallId: 'call-1', output: 'over tls' }),
      );
      await waitFor(async () => (await registry.getTask('tls-task'))?.status === 'completed');
      expect(worker.output()).toContain('rediss://127.0.0.1');
    } finally {
      await api.close();
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      await publisher.close();
      await registry.close();
      redis.disconnect();
    }
  });
});

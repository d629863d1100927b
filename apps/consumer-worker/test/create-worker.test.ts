import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listDeadLetters, PermanentError } from '@chat/completion-consumer';
import { createPublisher } from '@chat/completion-publisher';
import { silentLogger } from '@chat/completion-schema/internal';
import { createStreamRegistry } from '@chat/stream-registry';
import { waitFor } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { RedisPermissionError } from '../src/errors.js';
import { signWebhook } from '../src/webhook.js';
import { createWorker } from '../src/worker.js';
import { isolatedEnv, testTask } from './helpers.js';

describe('createWorker (in process)', () => {
  const url = inject('redisUrl');
  const redis = new Redis(url);
  afterAll(() => redis.quit());

  const setup = (label: string, extra: Record<string, string> = {}) => {
    const { env, stream, keyPrefix } = isolatedEnv(url, label, { MAX_DELIVERIES: '3', ...extra });
    const config = loadConfig(env as NodeJS.ProcessEnv);
    const registry = createStreamRegistry({ redis, keyPrefix });
    const publisher = createPublisher({ redis, stream });
    return { config, stream, keyPrefix, registry, publisher };
  };

  it("runs a tool's transform with the unredacted result before completing, and none for other tools", async () => {
    const { config, registry, publisher } = setup('hooks');
    const saved: unknown[] = [];
    const worker = createWorker({
      config,
      redis,
      logger: silentLogger,
      http: false,
      hooks: {
        tools: {
          create_agent: {
            transform: async ({ result }) => {
              saved.push(result);
              return undefined;
            },
          },
        },
      },
    });
    await worker.start();
    try {
      await registry.createTask(testTask('a'));
      await registry.createTask(testTask('b', 'run_block'));
      await publisher.publish({
        operation_id: 'op-a',
        task_id: 'a',
        success: true,
        result: { api_key: 'k', id: 1 },
      });
      await publisher.publish({ operation_id: 'op-b', task_id: 'b', success: true, result: 'x' });
      await waitFor(async () => (await registry.getTask('b'))?.status === 'completed');
      await waitFor(async () => (await registry.getTask('a'))?.status === 'completed');
      expect(saved).toEqual([{ api_key: 'k', id: 1 }]);
      expect((await registry.getTask('a'))?.result).toBe('{"api_key":"[REDACTED]","id":1}');
    } finally {
      await worker.close();
      await publisher.close();
      await registry.close();
    }
  });

  it('dead-letters: hook PermanentError, unknown task after retries, task with empty ids; null result → status', async () => {
    const { config, stream, keyPrefix, registry, publisher } = setup('dlq');
    const worker = createWorker({
      config,
      redis,
      logger: silentLogger,
      http: false,
      hooks: {
        tools: {
          create_agent: {
            transform: async () => {
              throw new PermanentError('agent JSON rejected by the store', { reason: 'agent_rejected' });
            },
          },
        },
      },
    });
    await worker.start();
    try {
      await registry.createTask(testTask('poison'));
      await registry.createTask(testTask('plain', 'run_block'));
      // A task hash written by another producer with an empty session id.
      await redis.hset(`${keyPrefix}task:meta:broken`, {
        task_id: 'broken',
        session_id: '',
        user_id: '',
        tool_call_id: 'c',
        tool_name: 'run_block',
        operation_id: 'op-broken',
        status: 'running',
        created_at: new Date().toISOString(),
      });
      await redis.set(`${keyPrefix}task:op:op-broken`, 'broken');
      await publisher.publish({ operation_id: 'op-poison', task_id: 'poison', success: true });
      await publisher.publish({ operation_id: 'op-ghost', task_id: 'ghost', success: true });
      await publisher.publish({ operation_id: 'op-broken', task_id: 'broken', success: true });
      await publisher.publish({ operation_id: 'op-plain', task_id: 'plain', success: true, result: null });
      const letters = await waitFor(async () => {
        const found = await listDeadLetters({ redis, stream });
        return found.length >= 3 && found;
      });
      const byReason = Object.fromEntries(letters.map((l) => [l.reason, l]));
      expect(Object.keys(byReason).sort()).toEqual(['agent_rejected', 'invalid_task', 'task_not_found']);
      expect(byReason.task_not_found?.deliveryCount).toBe(3);
      expect(byReason.invalid_task?.error).toContain('sessionId');
      expect(await registry.getTask('poison')).toMatchObject({ status: 'running' });
      await waitFor(async () => (await registry.getTask('plain'))?.status === 'completed');
      expect((await registry.getTask('plain'))?.result).toBe('{"status":"completed"}');
    } finally {
      await worker.close();
      await publisher.close();
      await registry.close();
    }
  });

  it('POSTs each completed task to the webhook with a verifiable HMAC signature', async () => {
    const received: { body: string; signature: string }[] = [];
    const hook = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        received.push({ body, signature: String(req.headers['x-chat-signature']) });
        // Fail the first delivery, so the retry is exercised.
        res.writeHead(received.length === 1 ? 503 : 204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const secret = 'a-webhook-secret-of-some-length';
    const { config, registry, publisher } = setup('webhook', {
      WEBHOOK_URL: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
      WEBHOOK_SECRET: secret,
    });
    const worker = createWorker({ config, redis, logger: silentLogger, http: false });
    await worker.start();
    try {
      await registry.createTask(testTask('w', 'run_block'));
      await publisher.publish({ operation_id: 'op-w', task_id: 'w', success: false, error: 'boom' });
      await waitFor(async () => received.length >= 2, 10_000);
      const { body, signature } = received[1]!;
      expect(JSON.parse(body)).toMatchObject({
        task_id: 'w',
        status: 'failed',
        error: 'boom',
        tool_name: 'run_block',
      });
      const t = Number(/t=(\d+)/.exec(signature)?.[1]);
      expect(signature).toBe(signWebhook(secret, body, t));
    } finally {
      await worker.close();
      await publisher.close();
      await registry.close();
      hook.close();
    }
  });

  it('checks permissions on exactly the streams the consumers read, also when config.streams is empty', async () => {
    const { config, stream, keyPrefix } = setup('perm');
    const user = `worker-${keyPrefix.replace(/[^a-z0-9]/gi, '')}`;
    // Every command, but only the registry's keys: the completion stream is off limits.
    await redis.call(
      'ACL',
      'SETUSER',
      user,
      'on',
      '>pw',
      `~${keyPrefix}task:*`,
      `~${keyPrefix}stream:*`,
      '+@all',
    );
    const restricted = new Redis(url, { username: user, password: 'pw' });
    // A hand-built configuration without `streams`: the consumer falls back to `stream`, so must the check.
    const worker = createWorker({
      config: { ...config, streams: [] },
      redis: restricted,
      logger: silentLogger,
      http: false,
    });
    try {
      expect(worker.consumers.map((consumer) => consumer.options.stream)).toEqual([stream]);
      const error = await worker.start().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(RedisPermissionError.isInstance(error)).toBe(true);
      expect((error as RedisPermissionError).missing).toContain(`xreadgroup on ${stream}`);
    } finally {
      await worker.close();
      await restricted.quit();
      await redis.call('ACL', 'DELUSER', user);
    }
  });

  it('REPLICA_ACKS not met in time: never acked, every redelivery waits again, then dead-lettered replication_timeout', async () => {
    // A single server has no replica, so WAIT 1 always comes back short.
    const { config, stream, registry, publisher } = setup('replicas', {
      REPLICA_ACKS: '1',
      REPLICA_ACK_TIMEOUT_MS: '50',
    });
    const worker = createWorker({ config, redis, logger: silentLogger, http: false });
    await worker.start();
    try {
      await registry.createTask(testTask('r', 'run_block'));
      await publisher.publish({ operation_id: 'op-r', task_id: 'r', success: true, result: 'done' });
      const [letter] = await waitFor(async () => {
        const found = await listDeadLetters({ redis, stream });
        return found.length > 0 && found;
      });
      // Delivery 1 completed the task; deliveries 2 and 3 found it settled and still waited before any ack.
      expect(letter).toMatchObject({ reason: 'replication_timeout', deliveryCount: 3 });
      expect(await registry.getTask('r')).toMatchObject({ status: 'completed', result: 'done' });
      expect(await worker.metrics.outcomeCount('completed')).toBe(1);
      expect(await worker.metrics.outcomeCount('duplicate')).toBe(2);
    } finally {
      await worker.close();
      await publisher.close();
      await registry.close();
    }
  });
});

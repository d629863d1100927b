import { listDeadLetters } from '@chat/completion-consumer';
import { createPublisher } from '@chat/completion-publisher';
import { MAX_MESSAGE_BYTES } from '@chat/completion-schema';
import { silentLogger } from '@chat/completion-schema/internal';
import { createStreamRegistry, MAX_CHUNK_BYTES } from '@chat/stream-registry';
import { waitFor } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createWorker } from '../src/worker.js';
import { isolatedEnv, readChunks, testTask } from './helpers.js';

describe('large results (in process, real consumer, registry and redis-server)', () => {
  const url = inject('redisUrl');
  const redis = new Redis(url);
  afterAll(() => redis.quit());

  const setup = (label: string) => {
    const { env, stream, keyPrefix } = isolatedEnv(url, label, { MAX_DELIVERIES: '3' });
    const config = loadConfig(env as NodeJS.ProcessEnv);
    const registry = createStreamRegistry({ redis, keyPrefix });
    const publisher = createPublisher({ redis, stream });
    return { config, stream, registry, publisher };
  };
  const chunksOf = (registry: ReturnType<typeof createStreamRegistry>, taskId: string) =>
    readChunks(redis, registry, taskId);

  it('a ~0.8 MB object result heavy in quotes completes its task on the first delivery', async () => {
    const { config, stream, registry, publisher } = setup('large-ok');
    let deliveries = 0;
    const worker = createWorker({
      config,
      redis,
      logger: silentLogger,
      http: false,
      hooks: {
        tools: {
          create_agent: {
            transform: async () => {
              deliveries += 1;
              return undefined;
            },
          },
        },
      },
    });
    await worker.start();
    try {
      await registry.createTask(testTask('big'));
      // Each quote costs 2 bytes in the message (\") and 4 in the chunk (\\\"): 0.8 MB here, 1.6 MB there.
      const result = { agent_json: { description: '"'.repeat(400_000), nodes: [{ id: 'n-"1"' }] } };
      await publisher.publish({ operation_id: 'op-big', task_id: 'big', success: true, result });
      // Settled: completed, or (the defect) dead-lettered with the task left running.
      await waitFor(
        async () =>
          (await registry.getTask('big'))?.status !== 'running' ||
          (await listDeadLetters({ redis, stream })).length > 0,
        20_000,
      );
      expect(await listDeadLetters({ redis, stream })).toEqual([]);
      const done = await registry.getTask('big');
      const output = JSON.stringify(result);
      expect(Buffer.byteLength(output)).toBeGreaterThan(800_000);
      expect(done).toMatchObject({ status: 'completed', result: output });
      expect(await chunksOf(registry, 'big')).toEqual([
        {
          type: 'tool-output-available',
          toolCallId: 'call-big',
          toolName: 'create_agent',
          output,
          success: true,
        },
        { type: 'finish' },
      ]);
      await waitFor(async () => ((await redis.xpending(stream, config.group)) as [number])[0] === 0);
      expect(deliveries).toBe(1);
    } finally {
      await worker.close();
      await publisher.close();
      await registry.close();
    }
  });

  it('an output that cannot be stored fails the task with an error chunk and finish, dead-lettered at delivery 1', async () => {
    const { config, stream, registry, publisher } = setup('large-fail');
    const worker = createWorker({ config, redis, logger: silentLogger, http: false });
    await worker.start();
    try {
      await registry.createTask(testTask('huge'));
      // A valid message under the cap whose output is not: a Python producer writes 1e20 as `1e+20` (5 bytes),
      // JSON.stringify as 100000000000000000000 (21 bytes), so the output is ~3.6x the message.
      const count = 160_000;
      const data = `{"operation_id":"op-huge","task_id":"huge","success":true,"result":{"values":[${Array(count).fill('1e+20').join(',')}]},"error":null}`;
      expect(Buffer.byteLength(data)).toBeLessThan(MAX_MESSAGE_BYTES);
      expect(count * 22).toBeGreaterThan(MAX_CHUNK_BYTES);
      await redis.xadd(stream, '*', 'data', data);
      const letters = await waitFor(async () => {
        const found = await listDeadLetters({ redis, stream });
        return found.length > 0 && found;
      }, 20_000);
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({ reason: 'output_too_large', deliveryCount: 1 });
      const failed = await registry.getTask('huge');
      expect(failed).toMatchObject({ status: 'failed' });
      expect(failed?.error).toMatch(/too large/);
      const chunks = await chunksOf(registry, 'huge');
      expect(chunks).toEqual([{ type: 'error', errorText: failed?.error }, { type: 'finish' }]);
      expect(((await redis.xpending(stream, config.group)) as [number])[0]).toBe(0);
    } finally {
      await worker.close();
      await publisher.close();
      await registry.close();
    }
  });
});

import { listDeadLetters } from '@chat/completion-consumer';
import { createPublisher } from '@chat/completion-publisher';
import { encodeData, MAX_MESSAGE_BYTES, MessageTooLargeError } from '@chat/completion-schema';
import { silentLogger } from '@chat/completion-schema/internal';
import { createWorker, loadConfig } from '@chat/consumer-worker';
import { startChatApi } from '@chat/consumer-worker/test';
import { StreamRegistry, StreamRegistryError } from '@chat/stream-registry';
import { uniquePrefix, waitFor } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';

describe('security at the edges', () => {
  const redis = new Redis(inject('redisUrl'));
  afterAll(() => redis.quit());

  it('a payload over the size cap is refused by the publisher and dead-lettered too_large when written raw', async () => {
    const prefix = uniquePrefix('size-cap');
    const stream = `${prefix}completions`;
    const oversized = {
      operation_id: 'op-big',
      task_id: 't-big',
      success: true,
      result: { blob: 'x'.repeat(MAX_MESSAGE_BYTES) },
    };
    const publisher = createPublisher({ redis, stream });
    await expect(publisher.publish(oversized)).rejects.toSatisfy((e) => MessageTooLargeError.isInstance(e));
    expect(await redis.exists(stream)).toBe(0);

    // A foreign producer (no validation, e.g. the Python original) writes the same message raw.
    const raw = encodeData(oversized, { maxBytes: Number.MAX_SAFE_INTEGER });
    const id = await redis.xadd(stream, '*', 'data', raw);
    const worker = createWorker({
      config: loadConfig({ POD_NAME: 'size-cap', COMPLETION_STREAM: stream, KEY_PREFIX: prefix }),
      redis,
      logger: silentLogger,
      http: false,
    });
    await worker.start();
    try {
      const [letter] = await waitFor(async () => {
        const letters = await listDeadLetters({ redis, stream });
        return letters.length > 0 && letters;
      });
      expect(letter).toMatchObject({ sourceId: id, reason: 'too_large', data: raw });
      await waitFor(async () => ((await redis.xpending(stream, 'chat_consumers')) as [number])[0] === 0);
    } finally {
      await worker.close();
      await publisher.close();
    }
  });

  it("subscribe refuses another user's task and the SSE endpoint answers 403", async () => {
    const prefix = uniquePrefix('owner');
    const registry = new StreamRegistry({ redis, keyPrefix: prefix });
    await registry.createTask({
      taskId: 'private-task',
      sessionId: 's',
      userId: 'alice',
      toolCallId: 'c',
      toolName: 'create_agent',
      operationId: 'op-private',
    });
    await expect(registry.subscribe('private-task', { userId: 'mallory' })).rejects.toSatisfy(
      (e) => StreamRegistryError.isInstance(e) && e.code === 'forbidden',
    );
    const api = await startChatApi(registry);
    const url = api.streamUrl('private-task');
    try {
      const refused = await fetch(url, { headers: { 'x-user-id': 'mallory' } });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ error: 'forbidden' });
      const owner = new AbortController();
      const allowed = await fetch(url, { headers: { 'x-user-id': 'alice' }, signal: owner.signal });
      expect(allowed.status).toBe(200);
      owner.abort();
    } finally {
      await api.close();
      await registry.close();
    }
  });
});

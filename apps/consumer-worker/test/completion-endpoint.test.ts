import { silentLogger } from '@chat/completion-schema/internal';
import { createStreamRegistry } from '@chat/stream-registry';
import { waitFor } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createWorker, type Worker } from '../src/worker.js';
import { isolatedEnv } from './helpers.js';

const API_KEY = 'a-completion-api-key-for-tests';

describe('POST /operations/{operation_id}/complete', () => {
  const url = inject('redisUrl');
  const redis = new Redis(url);
  const { env, stream, keyPrefix } = isolatedEnv(url, 'http-complete', {
    COMPLETION_API_KEY: API_KEY,
    COMPLETION_MAX_BODY_BYTES: '2048',
  });
  const registry = createStreamRegistry({ redis, keyPrefix });
  let worker: Worker;
  let base: string;
  beforeAll(async () => {
    const config = { ...loadConfig(env as NodeJS.ProcessEnv), httpPort: 0 };
    worker = createWorker({ config, redis, logger: silentLogger });
    base = `http://127.0.0.1:${(await worker.start()).httpPort}`;
  });
  afterAll(async () => {
    await worker.close();
    await registry.close();
    await redis.quit();
  });

  const post = (
    operationId: string,
    body: unknown,
    headers: Record<string, string> = { 'x-api-key': API_KEY },
  ) =>
    fetch(`${base}/operations/${operationId}/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('refuses a missing or wrong key (401), a large body (413) and an invalid one (400, with the problems)', async () => {
    expect((await post('op-x', { success: true }, {})).status).toBe(401);
    expect((await post('op-x', { success: true }, { 'x-api-key': `${API_KEY}-not` })).status).toBe(401);
    const large = await post('op-x', { task_id: 't', success: true, result: 'x'.repeat(4096) });
    expect(large.status).toBe(413);
    const invalid = await post('op-x', { task_id: 't', success: 'yes', error: 7 });
    expect(invalid.status).toBe(400);
    const { problems } = (await invalid.json()) as { problems: { path: string }[] };
    expect(problems.map((problem) => problem.path).sort()).toEqual(['error', 'success']);
    expect((await post('op-x', '{"task_id": ')).status).toBe(400);
    expect((await post('op-x', { success: true })).status).toBe(404);
    expect((await fetch(`${base}/operations/op-x/complete`)).status).toBe(405);
    // Nothing reached the stream.
    expect(await redis.xlen(stream)).toBe(0);
  });

  it('publishes a valid completion onto the stream (202, idempotent per operation) and the worker completes it', async () => {
    await registry.createTask({
      taskId: 'http-task',
      sessionId: 's',
      toolCallId: 'call-http',
      toolName: 'create_agent',
      operationId: 'op-http',
    });
    // No task_id in the body: the operation's task is looked up, as the original's endpoint does.
    const first = await post('op-http', { success: true, result: { agent_id: 'a-1' } });
    expect(first.status).toBe(202);
    const accepted = (await first.json()) as { entry_id: string };
    expect(accepted.entry_id).toMatch(/^\d+-\d+$/);
    const again = await post('op-http', { success: true, result: { agent_id: 'a-1' } });
    expect(again.status).toBe(202);
    expect(((await again.json()) as { entry_id: string }).entry_id).toBe(accepted.entry_id);
    expect(await redis.xlen(stream)).toBe(1);
    await waitFor(async () => (await registry.getTask('http-task'))?.status === 'completed', 15_000);
    expect((await registry.getTask('http-task'))?.result).toBe('{"agent_id":"a-1"}');
  });
});

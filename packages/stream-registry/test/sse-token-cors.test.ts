import { afterAll, describe, expect, it } from 'vitest';
import {
  createStreamToken,
  type StreamRegistry,
  StreamRegistryError,
  StreamRegistryOptionsError,
  toSSEResponse,
  verifyStreamToken,
} from '../src/index.js';
import { makeRegistry, newTask, openingChunks } from './helpers.js';

const secret = 'test-secret-0123456789abcdef0123456789';

describe('stream tokens', () => {
  it('verify for their task and user, and refuse forged, expired and other-task tokens', async () => {
    const token = await createStreamToken({ secret, taskId: 't1', userId: 'u1', now: () => 1_000_000 });
    await expect(verifyStreamToken(token, 't1', secret, () => 1_000_000)).resolves.toEqual({
      taskId: 't1',
      userId: 'u1',
      expiresAt: 1000 + 900,
    });
    // Rotation: any of several secrets.
    await expect(verifyStreamToken(token, 't1', ['old', secret], () => 1_000_000)).resolves.toMatchObject({
      userId: 'u1',
    });
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: unknown) => (StreamRegistryError.isInstance(e) ? `${e.code}: ${e.message}` : String(e)),
      );
    expect(await codeOf(verifyStreamToken(token, 't2', secret, () => 1_000_000))).toBe(
      'invalid_token: stream token is for another task',
    );
    expect(await codeOf(verifyStreamToken(token, 't1', 'other-secret', () => 1_000_000))).toBe(
      'invalid_token: stream token has a bad signature',
    );
    expect(await codeOf(verifyStreamToken(token, 't1', secret, () => 1_000_000 + 900_000))).toBe(
      'invalid_token: stream token has expired',
    );
    const [payload, signature] = token.split('.');
    const tampered = `${Buffer.from(JSON.stringify({ t: 't1', u: 'admin', e: 9e9 })).toString('base64url')}.${signature}`;
    expect(await codeOf(verifyStreamToken(tampered, 't1', secret))).toBe(
      'invalid_token: stream token has a bad signature',
    );
    expect(await codeOf(verifyStreamToken(`${payload}`, 't1', secret))).toBe(
      'invalid_token: stream token is malformed',
    );
  });
});

describe('SSE handlers with tokens and CORS', () => {
  const t = makeRegistry('compat');
  afterAll(() => t.close());

  async function finishedTask(registry: StreamRegistry) {
    const task = await newTask(registry, { userId: 'user-1' });
    for (const chunk of openingChunks(task.toolCallId)) await registry.publishChunk(task.taskId, chunk);
    await registry.completeTask(task.taskId, { status: 'completed', chunks: [] });
    return task;
  }

  it('refuse a per-call keepAliveMs or retryMs that cannot work, naming the option, and use the registry ones', async () => {
    const task = await finishedTask(t.registry);
    for (const option of ['keepAliveMs', 'retryMs'] as const) {
      const error = await toSSEResponse(t.registry, task.taskId, undefined, {
        userId: 'user-1',
        [option]: 0,
      }).catch((e: unknown) => e);
      expect(StreamRegistryOptionsError.isInstance(error), `${option} was accepted`).toBe(true);
      expect((error as StreamRegistryOptionsError).option).toBe(option);
    }
    const text = await (await toSSEResponse(t.registry, task.taskId, undefined, { userId: 'user-1' })).text();
    expect(text).toContain(`retry: ${t.registry.options.retryMs}`);
  });

  it('a token in ?token= authenticates as its user; none, a bad one or another user is refused', async () => {
    const task = await finishedTask(t.registry);
    const url = (token: string) => `http://api/tasks/${task.taskId}/stream?token=${token}`;
    const good = await createStreamToken({ secret, taskId: task.taskId, userId: 'user-1' });
    const ok = await toSSEResponse(t.registry, task.taskId, new Request(url(good)), {
      tokenSecret: secret,
      userId: 'ignored',
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('data: [DONE]');

    const none = await toSSEResponse(t.registry, task.taskId, new Request(`http://api/x`), {
      tokenSecret: secret,
    });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: 'invalid_token' });
    const forged = await createStreamToken({ secret: 'not-ours', taskId: task.taskId, userId: 'user-1' });
    const bad = await toSSEResponse(t.registry, task.taskId, new Request(url(forged)), {
      tokenSecret: secret,
    });
    expect(bad.status).toBe(401);
    const stranger = await createStreamToken({ secret, taskId: task.taskId, userId: 'user-2' });
    const other = await toSSEResponse(t.registry, task.taskId, new Request(url(stranger)), {
      tokenSecret: secret,
    });
    expect(other.status).toBe(403);
  });

  it('CORS: the allowed origin is echoed on streams and errors, preflights are answered, others get none', async () => {
    const task = await finishedTask(t.registry);
    const cors = { origin: ['https://app.example'], credentials: true };
    const from = (origin: string, method = 'GET') =>
      new Request(`http://api/tasks/${task.taskId}/stream`, { method, headers: { origin } });
    const stream = await toSSEResponse(t.registry, task.taskId, from('https://app.example'), {
      userId: 'user-1',
      cors,
    });
    expect(stream.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(stream.headers.get('access-control-allow-credentials')).toBe('true');
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    await stream.body?.cancel();

    const denied = await toSSEResponse(t.registry, task.taskId, from('https://app.example'), {
      userId: 'user-2',
      cors,
    });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('access-control-allow-origin')).toBe('https://app.example');

    const preflight = await toSSEResponse(t.registry, task.taskId, from('https://app.example', 'OPTIONS'), {
      cors,
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('last-event-id');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET, OPTIONS');

    const foreign = await toSSEResponse(t.registry, task.taskId, from('https://evil.example'), {
      userId: 'user-1',
      cors,
    });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    await foreign.body?.cancel();
  });
});

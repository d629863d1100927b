import { afterAll, describe, expect, it } from 'vitest';
import { parseResumeCursor, SSE_HEADERS, type StreamEntry, toSSEResponse } from '../src/index.js';
import { makeRegistry, newTask, openingChunks, serveChatApi, waitFor } from './helpers.js';

interface Frame {
  id?: string;
  data?: string;
  retry?: string;
  comment?: string;
}

function parseFrames(text: string): Frame[] {
  return text
    .split('\n\n')
    .filter((block) => block.length > 0)
    .map((block) => {
      const frame: Frame = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) frame.comment = line.slice(1).trim();
        else {
          const [field, ...rest] = line.split(': ');
          (frame as Record<string, string>)[field as string] = rest.join(': ');
        }
      }
      return frame;
    });
}

describe('SSE adapter', () => {
  const t = makeRegistry('compat');
  afterAll(() => t.close());

  it('toSSEResponse: AI SDK headers, retry hint, an id per event, [DONE] after finish', async () => {
    const task = await newTask(t.registry);
    const ids: string[] = [];
    for (const chunk of openingChunks(task.toolCallId))
      ids.push(await t.registry.publishChunk(task.taskId, chunk));
    const response = await toSSEResponse(t.registry, task.taskId, undefined, {
      userId: 'user-1',
      keepAliveMs: 30,
    });
    expect(response.status).toBe(200);
    for (const [name, value] of Object.entries(SSE_HEADERS)) expect(response.headers.get(name)).toBe(value);
    const text = response.text();
    // Idle long enough for keep-alive comments, then complete.
    await new Promise((resolve) => setTimeout(resolve, 150));
    await t.registry.completeTask(task.taskId, {
      status: 'completed',
      chunks: [{ type: 'tool-output-available', toolCallId: task.toolCallId, output: 'ok' }],
    });
    const frames = parseFrames(await text);
    expect(frames[0]).toEqual({ retry: '3000' });
    expect(frames.some((f) => f.comment === 'keep-alive')).toBe(true);
    const events = frames.filter((f) => f.id !== undefined);
    expect(events.slice(0, 3).map((f) => f.id)).toEqual(ids);
    expect(events.map((f) => JSON.parse(f.data as string).type)).toEqual([
      'start',
      'start-step',
      'tool-input-available',
      'tool-output-available',
      'finish',
    ]);
    expect(frames.at(-1)).toEqual({ data: '[DONE]' });
  });

  it('resumes from Last-Event-ID, or from ?cursor=, and ends cleanly (200, [DONE], no 204) when nothing is left', async () => {
    const task = await newTask(t.registry);
    const ids: string[] = [];
    for (const chunk of openingChunks(task.toolCallId))
      ids.push(await t.registry.publishChunk(task.taskId, chunk));
    await t.registry.completeTask(task.taskId, { status: 'completed', chunks: [] });
    const byHeader = await toSSEResponse(
      t.registry,
      task.taskId,
      new Request('http://x/stream', { headers: { 'last-event-id': ids[0] as string } }),
      { userId: 'user-1' },
    );
    const headerEvents = parseFrames(await byHeader.text()).filter((f) => f.id);
    expect(headerEvents.map((f) => f.id)).toEqual([ids[1], ids[2], expect.any(String)]);
    const finishId = headerEvents.at(-1)?.id as string;
    const byQuery = await toSSEResponse(t.registry, task.taskId, new Request(`http://x/s?cursor=${ids[1]}`), {
      userId: 'user-1',
    });
    expect(
      parseFrames(await byQuery.text())
        .filter((f) => f.id)
        .map((f) => f.id),
    ).toEqual([ids[2], finishId]);
    const nothingLeft = await toSSEResponse(
      t.registry,
      task.taskId,
      new Request(`http://x/s?cursor=${finishId}`),
      {
        userId: 'user-1',
      },
    );
    // A 204 is what EventSource reports as a bare error: a finished stream answers an empty stream instead.
    expect(nothingLeft.status).toBe(200);
    expect(nothingLeft.headers.get('content-type')).toBe('text/event-stream');
    expect(parseFrames(await nothingLeft.text())).toEqual([{ retry: '3000' }, { data: '[DONE]' }]);
  });

  it('toSSEResponse is pull-based: a client that does not read holds back the subscription', async () => {
    const task = await newTask(t.registry);
    // A replay is sent in batches of about 64 KB (one write each): frames of about 1 KB, 600 KB in all.
    const total = 600;
    const padding = 'x'.repeat(1000);
    for (let i = 0; i < total; i += 1)
      await t.registry.publishChunk(task.taskId, { type: 'data-n', data: { i, padding } } as never);
    await t.registry.completeTask(task.taskId, { status: 'completed', chunks: [] });
    // Counts the entries the SSE body takes from the subscription.
    let pulled = 0;
    const counting = {
      options: t.registry.options,
      async subscribe(...args: Parameters<typeof t.registry.subscribe>) {
        const subscription = await t.registry.subscribe(...args);
        const iterate = subscription[Symbol.asyncIterator].bind(subscription);
        subscription[Symbol.asyncIterator] = () => {
          const inner = iterate();
          return {
            next: async () => {
              const next = await inner.next();
              if (!next.done) pulled += 1;
              return next;
            },
            return: async () => (await inner.return?.()) ?? { done: true, value: undefined },
          } as AsyncIterator<StreamEntry>;
        };
        return subscription;
      },
    } as unknown as typeof t.registry;
    const response = await toSSEResponse(counting, task.taskId, undefined, { userId: 'user-1' });
    const reader = response.body?.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    await reader.read();
    await reader.read();
    // Give an eager producer every chance to run ahead: many macrotasks, each long enough for replay pages. Two
    // batches read (about 63 entries each) and one entry towards the next: far from the 600.
    for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(pulled).toBeLessThanOrEqual(3 * 64);
    let text = '';
    const decoder = new TextDecoder();
    for (let next = await reader.read(); !next.done; next = await reader.read())
      text += decoder.decode(next.value);
    expect(pulled).toBe(total + 1);
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
  });

  it('answers 404, 403, 410 and 400 with small JSON bodies', async () => {
    const task = await newTask(t.registry);
    await t.registry.publishChunk(task.taskId, { type: 'start' });
    const missing = await toSSEResponse(t.registry, 'missing');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'task_not_found' });
    const forbidden = await toSSEResponse(t.registry, task.taskId, undefined, { userId: 'intruder' });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ error: 'forbidden' });
    const bad = await toSSEResponse(t.registry, task.taskId, new Request('http://x/?cursor=zzz'), {
      userId: 'user-1',
    });
    expect(bad.status).toBe(400);
    await t.redis.del(t.registry.keys.meta(task.taskId));
    const gone = await toSSEResponse(t.registry, task.taskId, undefined, { userId: 'user-1' });
    expect(gone.status).toBe(410);
    expect(await gone.json()).toMatchObject({ error: 'task_expired' });
  });

  it('an aborted signal ends the response body', async () => {
    const task = await newTask(t.registry);
    const controller = new AbortController();
    const response = await toSSEResponse(t.registry, task.taskId, undefined, {
      userId: 'user-1',
      signal: controller.signal,
    });
    const text = response.text();
    setTimeout(() => controller.abort(), 50);
    expect(parseFrames(await text)).toEqual([{ retry: '3000' }]);
    await waitFor(() => t.registry.liveSubscriberCount === 0, 10_000, 'the subscriber to leave');
  });

  it('parseResumeCursor reads Last-Event-ID first, then ?cursor=', () => {
    expect(
      parseResumeCursor(new Request('http://x/?cursor=2-0', { headers: { 'Last-Event-ID': '1-0' } })),
    ).toBe('1-0');
    expect(parseResumeCursor(new Request('http://x/?cursor=2-0'))).toBe('2-0');
    expect(parseResumeCursor({ headers: { 'last-event-id': '3-1' }, url: '/s' })).toBe('3-1');
    expect(parseResumeCursor({ headers: {}, url: '/s' })).toBeUndefined();
  });
});

describe('writeSSE on node:http (the example chat API server)', () => {
  const t = makeRegistry('compat', { keepAliveMs: 50 });
  const api = serveChatApi(t);

  it('streams a task created over HTTP until the worker completes it', async () => {
    const created = await fetch(`${api.url()}/tasks`, {
      method: 'POST',
      headers: { 'x-user-id': 'u1' },
      body: JSON.stringify({ sessionId: 's1', toolCallId: 'c1', toolName: 'create_agent' }),
    });
    expect(created.status).toBe(201);
    const task = (await created.json()) as { taskId: string };
    const response = await fetch(`${api.url()}/tasks/${task.taskId}/stream`, {
      headers: { 'x-user-id': 'u1' },
    });
    expect(response.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    const text = response.text();
    await t.registry.completeTask(task.taskId, {
      status: 'completed',
      chunks: [{ type: 'tool-output-available', toolCallId: 'c1', output: { agentId: 'a1' } }],
    });
    const frames = parseFrames(await text);
    expect(frames.filter((f) => f.id).map((f) => JSON.parse(f.data as string).type)).toEqual([
      'start',
      'start-step',
      'tool-input-available',
      'tool-output-available',
      'finish',
    ]);
    expect(frames.at(-1)).toEqual({ data: '[DONE]' });
    const other = await fetch(`${api.url()}/tasks/${task.taskId}/stream`, { headers: { 'x-user-id': 'u2' } });
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ error: 'forbidden' });
  });

  it('a client that goes away ends its subscription and leaves the shared reader', async () => {
    const created = await fetch(`${api.url()}/tasks`, {
      method: 'POST',
      headers: { 'x-user-id': 'u1' },
      body: JSON.stringify({ sessionId: 's2', toolCallId: 'c2', toolName: 'create_agent' }),
    });
    const task = (await created.json()) as { taskId: string };
    const controller = new AbortController();
    const response = await fetch(`${api.url()}/tasks/${task.taskId}/stream`, {
      headers: { 'x-user-id': 'u1' },
      signal: controller.signal,
    });
    const reader = (t.registry as unknown as { reader: { size: number } }).reader;
    const body = response.body?.getReader();
    let seen = '';
    while (!seen.includes('keep-alive')) seen += new TextDecoder().decode((await body?.read())?.value);
    expect(reader.size).toBe(1);
    controller.abort();
    await waitFor(() => reader.size === 0, 10_000, 'the subscriber to leave');
  });
});

// The browser entry's chunk iterator in Node (same fetch and web streams): resume, bounded retries, parsing.
import { getFreePort } from '@chat/testing';
import { describe, expect, it } from 'vitest';
import {
  parseServerSentEvents,
  resolveTaskStreamRetryOptions,
  retryDelay,
  streamTaskChunks,
  TaskStreamError,
} from '../src/browser/index.js';
import { makeRegistry, serveChatApi, waitFor } from './helpers.js';

function bytes(...parts: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(encoder.encode(part));
      controller.close();
    },
  });
}

describe('browser entry: streamTaskChunks', () => {
  const t = makeRegistry('compat');
  const api = serveChatApi(t);

  it('parses SSE split anywhere, with CRLF, comments and multi-line data', async () => {
    const events = [];
    for await (const e of parseServerSentEvents(
      bytes('retry: 3\r', '\n: keep-alive\r\n\r\nid: 1-0\r\nda', 'ta: a\ndata: b\n\n'),
    ))
      events.push(e);
    expect(events).toEqual([{ id: '1-0', event: 'message', data: 'a\nb' }]);
  });

  it('follows a task to its finish across dropped connections, every chunk once and in order', async () => {
    const created = await fetch(`${api.url()}/tasks`, {
      method: 'POST',
      headers: { 'x-user-id': 'u1' },
      body: JSON.stringify({ sessionId: 's', toolCallId: 'call-1', toolName: 'create_agent' }),
    });
    const { taskId } = (await created.json()) as { taskId: string };
    const seen: string[] = [];
    let reconnects = 0;
    const done = (async () => {
      for await (const { id } of streamTaskChunks(`${api.url()}/tasks/${taskId}/stream`, {
        headers: { 'x-user-id': 'u1' },
        retry: { initialDelayMs: 10, maxDelayMs: 50 },
        onReconnect: () => {
          reconnects += 1;
        },
      }))
        seen.push(id);
    })();
    await waitFor(() => seen.length === 3, 20_000, 'the opening chunks');
    for (let round = 0; round < 3; round += 1) {
      await t.registry.publishChunk(taskId, { type: 'data-n', data: { round } } as never);
      // Received over a live connection, so the drop below cuts that connection (not a retry's sleep).
      await waitFor(() => seen.length === 4 + round, 20_000, `chunk of round ${round}`);
      api.dropConnections();
      await waitFor(() => reconnects > round, 20_000, 'a reconnect');
    }
    await t.registry.completeTask(taskId, { status: 'completed', chunks: [] });
    await done;
    const stored = (await t.redis.xrange(t.registry.keys.stream(taskId), '-', '+')).map(([id]) => id);
    expect(seen).toEqual(stored);
  });

  it('gives up after maxRetries with retries_exhausted, and at once on a 404', async () => {
    const port = await getFreePort();
    const failures: number[] = [];
    const error = await (async () => {
      for await (const _ of streamTaskChunks(`http://127.0.0.1:${port}/tasks/x/stream`, {
        retry: { maxRetries: 3, initialDelayMs: 1, maxDelayMs: 2 },
        onReconnect: ({ attempt }) => failures.push(attempt),
      }));
    })().catch((e: unknown) => e);
    expect(TaskStreamError.isInstance(error) && error.code).toBe('retries_exhausted');
    expect(failures).toEqual([1, 2, 3]);

    const missing = await (async () => {
      for await (const _ of streamTaskChunks(`${api.url()}/tasks/none/stream`));
    })().catch((e: unknown) => e);
    expect(TaskStreamError.isInstance(missing) && [missing.code, missing.status]).toEqual([
      'http_status',
      404,
    ]);
  });

  it('backs off with full jitter under a growing cap', () => {
    const o = resolveTaskStreamRetryOptions({ initialDelayMs: 100, maxDelayMs: 1000 });
    expect([1, 2, 3, 4, 5].map((n) => retryDelay(o, n, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    expect(retryDelay(o, 3, () => 0)).toBe(0);
    expect(() => resolveTaskStreamRetryOptions({ maxRetries: -1 })).toThrow(/maxRetries/);
  });
});

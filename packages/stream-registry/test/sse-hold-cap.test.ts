import { once } from 'node:events';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { uniquePrefix } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { StreamRegistry, toSSEResponse } from '../src/index.js';
import { newTask } from './helpers.js';

/**
 * A TCP proxy in front of the test's Redis that, once the client sends a command containing `trigger`, holds
 * every reply from then on until `release()`: the server answers, the client just does not hear it yet.
 */
class HoldingProxy {
  private readonly server: Server;
  private trigger: string | undefined;
  private holding = false;
  private held: (() => void)[] = [];
  private readonly sockets = new Set<Socket>();
  /** Resolves when a command containing the trigger went by. */
  triggered: Promise<void> = Promise.resolve();
  private onTrigger: () => void = () => {};

  constructor(upstream: URL) {
    this.server = createServer((client) => {
      const server = tcpConnect(Number(upstream.port), upstream.hostname);
      this.sockets.add(client).add(server);
      let sent = '';
      client.on('data', (data) => {
        // Commands may be split over reads: keep a tail of what was sent to match across them.
        sent = (sent + data.toString('latin1')).slice(-4096);
        if (this.trigger && sent.includes(this.trigger)) {
          this.trigger = undefined;
          this.holding = true;
          this.onTrigger();
        }
        server.write(data);
      });
      server.on('data', (data) => {
        if (this.holding) this.held.push(() => client.write(data));
        else client.write(data);
      });
      const end = () => {
        client.destroy();
        server.destroy();
      };
      client.on('close', end).on('error', end);
      server.on('close', end).on('error', end);
    });
  }

  async listen(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    return `redis://127.0.0.1:${address.port}`;
  }

  holdAfter(trigger: string): void {
    this.trigger = trigger;
    this.triggered = new Promise((resolve) => {
      this.onTrigger = resolve;
    });
  }

  release(): void {
    this.holding = false;
    for (const write of this.held.splice(0)) write();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
  }
}

// sse.ts holds a catching-up subscriber's frames back to send them in one write, but never longer than HOLD_MS
// (1 s): a replay whose next page is slow still shows what it has, with a keep-alive comment.
describe('SSE catch-up hold cap', () => {
  const proxy = new HoldingProxy(new URL(inject('redisUrl')));
  let redis: Redis;
  let registry: StreamRegistry;
  beforeAll(async () => {
    redis = new Redis(await proxy.listen());
    registry = new StreamRegistry({
      redis,
      keyPrefix: uniquePrefix('hold-cap'),
      replayPageSize: 10,
      // Far longer than the cap, so a keep-alive cannot be what sends the held frames.
      keepAliveMs: 60_000,
    });
  });
  afterAll(async () => {
    proxy.release();
    await registry.close();
    await redis.quit();
    await proxy.close();
  });

  it('a replay whose next page is slow sends what it has after about a second, then the rest', async () => {
    const task = await newTask(registry);
    const ids: string[] = [];
    for (let i = 0; i < 25; i += 1) {
      ids.push(await registry.publishChunk(task.taskId, { type: 'data-n', data: i } as never));
    }
    // The second replay page asks for entries after the tenth: its reply (and everything after) is held.
    proxy.holdAfter(`(${ids[9]}`);
    const response = await toSSEResponse(registry, task.taskId, undefined, { userId: 'user-1' });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    await proxy.triggered;
    const heldAt = performance.now();
    const first = await reader.read();
    const waitedMs = performance.now() - heldAt;
    const frame = (i: number) => `id: ${ids[i]}\ndata: ${JSON.stringify({ type: 'data-n', data: i })}\n\n`;
    // Only the first page, sent while the second was still held (it came because of the cap, not the page).
    expect(decoder.decode(first.value)).toBe(
      `retry: 3000\n\n${Array.from({ length: 10 }, (_, i) => frame(i)).join('')}: keep-alive\n\n`,
    );
    expect(waitedMs).toBeGreaterThan(500);
    expect(waitedMs).toBeLessThan(10_000);

    proxy.release();
    await registry.completeTask(task.taskId, { status: 'completed', chunks: [] });
    let rest = '';
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      rest += decoder.decode(next.value, { stream: true });
    }
    const finishId = (rest.match(/id: (\S+)\ndata: {"type":"finish"}/) ?? [])[1];
    expect(rest.replaceAll(': keep-alive\n\n', '')).toBe(
      `${Array.from({ length: 15 }, (_, i) => frame(i + 10)).join('')}id: ${finishId}\ndata: {"type":"finish"}\n\ndata: [DONE]\n\n`,
    );
  });
});

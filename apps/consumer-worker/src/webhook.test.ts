import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from '@chat/completion-schema';
import { waitFor } from '@chat/testing';
import { describe, expect, it } from 'vitest';
import { WebhookNotifier } from './webhook.js';

/** A real local receiver that records every request and the sockets it was served on. */
async function receiver(respond: (request: IncomingMessage, response: ServerResponse) => void) {
  const sockets = new Set<Socket>();
  let connections = 0;
  let requests = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      requests += 1;
      respond(request, response);
    });
  });
  server.on('connection', (socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    get requests() {
      return requests;
    },
    get connections() {
      return connections;
    },
    openSockets: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A logger that keeps what it was given, to check what the notifier reports. */
function recordingLogger() {
  const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const at =
    (level: string) =>
    (fields: unknown, msg?: string): void =>
      void lines.push({ level, fields: (fields ?? {}) as Record<string, unknown>, msg: msg ?? '' });
  const logger = {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: () => logger,
  } as unknown as Logger;
  return { logger, lines };
}

describe('WebhookNotifier', () => {
  it('reads every response body, so one kept-alive connection serves delivery after delivery', async () => {
    // Larger than the client's stream buffer: left unread, a body holds its connection (an open socket) until
    // garbage collection, and every next delivery needs a new one.
    const body = 'x'.repeat(256 * 1024);
    const hook = await receiver((_, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(body);
    });
    const { logger } = recordingLogger();
    const deliveries = 10;
    try {
      for (let i = 1; i <= deliveries; i++) {
        // close() waits for the delivery, so each one starts after the previous has ended.
        const notifier = new WebhookNotifier({ url: hook.url, secret: 'a-secret-of-enough-length' }, logger);
        notifier.notify({ task_id: `t-${i}` });
        await notifier.close();
      }
      expect(hook.requests).toBe(deliveries);
      // Measured: 2 with the bodies read, 10 (one per delivery, all still open) without.
      expect(hook.openSockets()).toBeLessThanOrEqual(3);
      expect(hook.connections).toBeLessThanOrEqual(3);
    } finally {
      await hook.close();
    }
  });

  it('close() with a failing webhook returns within its deadline, aborting the retries and logging the drop', async () => {
    const hook = await receiver((_, response) => {
      response.writeHead(503).end('unavailable');
    });
    const { logger, lines } = recordingLogger();
    // Five attempts with a 2 s base delay: 2 + 4 + 8 + 16 s of retries if close() waited for them.
    const notifier = new WebhookNotifier(
      { url: hook.url, secret: 'a-secret-of-enough-length', retryBaseMs: 2000 },
      logger,
    );
    try {
      notifier.notify({ task_id: 'stuck-1' });
      notifier.notify({ task_id: 'stuck-2' });
      await waitFor(() => hook.requests >= 2, 10_000, 'the first attempts');
      const started = performance.now();
      await notifier.close({ timeoutMs: 300 });
      const tookMs = performance.now() - started;
      expect(tookMs).toBeLessThan(2000);
      const dropped = lines.find((line) => line.msg === 'webhook deliveries dropped at shutdown');
      expect(dropped).toMatchObject({ level: 'error', fields: { dropped: 2 } });
      expect([...((dropped?.fields.taskIds ?? []) as string[])].sort()).toEqual(['stuck-1', 'stuck-2']);
    } finally {
      await hook.close();
    }
  });
});

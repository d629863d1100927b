import { once } from 'node:events';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamRegistry, writeSSE } from '@chat/stream-registry';
import { Redis } from 'ioredis';

/** A running chat API: the registry's SSE handler on `GET /tasks/<id>/stream` (user in `x-user-id`). */
export interface ChatApi {
  port: number;
  registry: StreamRegistry;
  close(): Promise<void>;
}

/** Starts the stream endpoint as an application serves it (`writeSSE` on a Node server), on `port` (0: a free one). */
export async function startChatApi(url: string, readerConnections?: number, port = 0): Promise<ChatApi> {
  const redis = new Redis(url, { maxRetriesPerRequest: null, connectionName: 'bench-chat-api' });
  const registry = new StreamRegistry({ redis, ...(readerConnections ? { readerConnections } : {}) });
  const server = createServer((req, res) => {
    const taskId = /^\/tasks\/([^/]+)\/stream$/.exec(req.url ?? '')?.[1];
    if (!taskId) return void res.writeHead(404).end();
    const userId = (req.headers['x-user-id'] as string | undefined) ?? null;
    writeSSE(registry, decodeURIComponent(taskId), req, res, { userId }).catch(() => res.destroy());
  });
  // A storm connects thousands at once: a deep accept queue instead of SYN retries a second later.
  server.listen({ port, host: '127.0.0.1', backlog: 16_384 });
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    registry,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await registry.close();
      await redis.quit();
    },
  };
}

/** One SSE event: its `id:` (absent on `[DONE]`) and `data:`. */
export interface SseEvent {
  id: string | undefined;
  data: string;
}

/** An open SSE connection; `close()` drops it at once (like a closed browser tab). */
export interface SseConnection {
  close(): void;
}

const agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });

/**
 * Opens a task's SSE stream as a browser would (`Last-Event-ID` when resuming) and hands every event to
 * `onEvent`; comments (keep-alive) and `retry:` are skipped. `onEnd` is told when the stream ends or fails.
 */
export function openSse(
  port: number,
  taskId: string,
  userId: string,
  lastEventId: string | undefined,
  onEvent: (event: SseEvent) => void,
  onEnd: (error?: Error) => void = () => {},
): SseConnection {
  let closed = false;
  const headers: Record<string, string> = { accept: 'text/event-stream', 'x-user-id': userId };
  if (lastEventId) headers['last-event-id'] = lastEventId;
  const req = request(
    { host: '127.0.0.1', port, path: `/tasks/${encodeURIComponent(taskId)}/stream`, agent, headers },
    (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return onEnd(new Error(`HTTP ${res.statusCode} for ${taskId}`));
      }
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (text: string) => {
        buffer += text;
        let end = buffer.indexOf('\n\n');
        while (end >= 0 && !closed) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          let id: string | undefined;
          let data: string | undefined;
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('data: ')) data = line.slice(6);
          }
          if (data !== undefined) onEvent({ id, data });
        }
      });
      res.on('end', () => onEnd());
      res.on('error', (error) => onEnd(closed ? undefined : error));
    },
  );
  req.on('error', (error) => {
    if (!closed) onEnd(error);
  });
  req.end();
  return {
    close: () => {
      closed = true;
      req.destroy();
    },
  };
}

// The chat-API side of the registry: register a task when a long-running tool is called, and serve its chunks
// to browsers over SSE (resumable with Last-Event-ID). An application imports from '@chat/stream-registry';
// the example imports the source so it runs without a build (`@chat/testing/register-lua` loads the Lua
// scripts as text).
//
//   REDIS_URL=redis://127.0.0.1:6379 pnpm --filter @chat/stream-registry run example
//
// runs a demo: it starts the server, creates a task, lets a stand-in worker complete it, and prints the SSE.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';
import {
  createStreamToken,
  type SSECorsOptions,
  StreamRegistry,
  StreamRegistryError,
  writeSSE,
} from '../src/index.js';

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let body = '';
  for await (const part of req) body += part;
  return body ? (JSON.parse(body) as Record<string, unknown>) : {};
}

/** Options of {@link createChatApiServer}. */
export interface ChatApiServerOptions {
  /** Issue stream tokens (`streamUrl` in the task answer) and accept them on the stream endpoint. */
  tokenSecret?: string;
  /** CORS of the stream endpoint, for a page on another origin. */
  cors?: SSECorsOptions;
  /** Serves other routes (the browser example's page); returns false to fall through to the chat API. */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean> | boolean;
}

/**
 * `POST /tasks` registers a task for a tool call; `GET /tasks/<id>/stream` streams its chunks. The user comes
 * from `x-user-id` here; a real API takes it from its session. With `tokenSecret`, the task answer carries a
 * `streamUrl` with a short-lived stream token, which a browser's EventSource or fetch can open without headers.
 */
export function createChatApiServer(registry: StreamRegistry, options: ChatApiServerOptions = {}): Server {
  const { tokenSecret, cors } = options;
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const userId = (req.headers['x-user-id'] as string | undefined) ?? null;
    try {
      if (options.extraRoutes && (await options.extraRoutes(req, res, url))) return;
      if (req.method === 'POST' && url.pathname === '/tasks') {
        const body = await readJson(req);
        const task = await registry.createTask({
          taskId: randomUUID(),
          sessionId: String(body.sessionId ?? ''),
          userId,
          toolCallId: String(body.toolCallId ?? ''),
          toolName: String(body.toolName ?? ''),
          operationId: String(body.operationId ?? randomUUID()),
        });
        // What the browser sees first: the assistant message with the tool call it is waiting on.
        await registry.publishChunk(task.taskId, { type: 'start', messageId: `msg-${task.taskId}` });
        await registry.publishChunk(task.taskId, { type: 'start-step' });
        await registry.publishChunk(task.taskId, {
          type: 'tool-input-available',
          toolCallId: task.toolCallId,
          toolName: task.toolName,
          input: body.input ?? {},
        });
        const streamUrl = tokenSecret
          ? `/tasks/${encodeURIComponent(task.taskId)}/stream?token=${await createStreamToken({
              secret: tokenSecret,
              taskId: task.taskId,
              userId,
            })}`
          : `/tasks/${encodeURIComponent(task.taskId)}/stream`;
        res
          .writeHead(201, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ...task, streamUrl }));
        return;
      }
      const match = /^\/tasks\/([^/]+)\/stream$/.exec(url.pathname);
      if ((req.method === 'GET' || req.method === 'OPTIONS') && match?.[1]) {
        // A browser presents its stream token; a server-side caller its user header.
        const auth = tokenSecret && url.searchParams.has('token') ? { tokenSecret } : { userId };
        await writeSSE(registry, decodeURIComponent(match[1]), req, res, { ...auth, cors });
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
    } catch (error) {
      const code = StreamRegistryError.isInstance(error) ? error.code : 'internal';
      if (!res.headersSent)
        res.writeHead(code === 'internal' ? 500 : 400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: code }));
    }
  });
}

async function demo(): Promise<void> {
  const registry = new StreamRegistry({
    url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    keyPrefix: process.env.KEY_PREFIX,
  });
  const server = createChatApiServer(registry);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  try {
    const created = await fetch(`${base}/tasks`, {
      method: 'POST',
      headers: { 'x-user-id': 'user-1', 'content-type': 'application/json' },
      body: JSON.stringify({ sessionId: 'session-1', toolCallId: 'call-1', toolName: 'create_agent' }),
    });
    const task = (await created.json()) as { taskId: string };
    // Stand-in for the completion worker: completes the task a little later, exactly once.
    setTimeout(() => {
      void registry.completeTask(task.taskId, {
        status: 'completed',
        chunks: [{ type: 'tool-output-available', toolCallId: 'call-1', output: { agentId: 'agent-42' } }],
        result: JSON.stringify({ agentId: 'agent-42' }),
      });
    }, 200);
    const stream = await fetch(`${base}/tasks/${task.taskId}/stream`, { headers: { 'x-user-id': 'user-1' } });
    console.log(`HTTP ${stream.status} ${stream.headers.get('content-type')}`);
    console.log(await stream.text());
  } finally {
    server.close();
    await registry.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  demo().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}

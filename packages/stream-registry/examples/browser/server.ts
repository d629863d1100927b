// The browser example: the example chat API plus one HTML page that streams a task's assistant message and
// survives the server being killed and restarted mid-stream.
//
//   REDIS_URL=redis://127.0.0.1:6379 pnpm --filter @chat/stream-registry run example:browser
//
// then open the printed URL and press "Ask". PORT (default 3000), TOKEN_SECRET (stream tokens; keep it across
// restarts so issued tokens stay valid), KEY_PREFIX and AI_PACKAGE (`ai-v7` bundles the page with ai@7).
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { StreamRegistry } from '../../src/index.js';
import { createChatApiServer } from '../chat-api-server.js';

const here = fileURLToPath(new URL('.', import.meta.url));

async function bundlePage(aiPackage: string): Promise<string> {
  const result = await build({
    entryPoints: [`${here}app.ts`],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    alias: aiPackage === 'ai' ? {} : { ai: aiPackage },
  });
  return result.outputFiles?.[0]?.text ?? '';
}

/** The stand-in for the completion worker and the LLM: a tool output, then a continuation in small deltas. */
async function demoWorker(registry: StreamRegistry, taskId: string, toolCallId: string): Promise<void> {
  const pause = () => new Promise((resolve) => setTimeout(resolve, 150));
  for (let i = 0; i < 5; i += 1) await pause();
  const words = 'The agent is ready: it triages your inbox every morning and drafts the replies.'.split(' ');
  await registry.completeTask(taskId, {
    status: 'completed',
    chunks: [
      { type: 'tool-output-available', toolCallId, output: { agentId: 'agent-42' } },
      { type: 'finish-step' },
      { type: 'start-step' },
      { type: 'text-start', id: 'text-1' },
      ...words.map((word, i) => ({
        type: 'text-delta' as const,
        id: 'text-1',
        delta: i ? ` ${word}` : word,
      })),
      { type: 'text-end', id: 'text-1' },
      { type: 'finish-step' },
    ],
  });
}

async function main(): Promise<void> {
  const registry = new StreamRegistry({
    url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    keyPrefix: process.env.KEY_PREFIX,
  });
  const tokenSecret = process.env.TOKEN_SECRET ?? randomBytes(32).toString('hex');
  const [html, script] = await Promise.all([
    readFile(`${here}index.html`, 'utf8'),
    bundlePage(process.env.AI_PACKAGE ?? 'ai'),
  ]);
  const server = createChatApiServer(registry, {
    tokenSecret,
    async extraRoutes(req: IncomingMessage, res: ServerResponse, url: URL) {
      if (req.method === 'GET' && url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
        return true;
      }
      if (req.method === 'GET' && url.pathname === '/app.js') {
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
        return true;
      }
      if (req.method === 'POST' && url.pathname === '/demo/ask') {
        const created = await fetch(`http://127.0.0.1:${port}/tasks`, {
          method: 'POST',
          headers: { 'x-user-id': 'demo-user' },
          body: JSON.stringify({
            sessionId: 'demo',
            toolCallId: `call-${Date.now()}`,
            toolName: 'create_agent',
          }),
        });
        const task = (await created.json()) as { taskId: string; toolCallId: string; streamUrl: string };
        void demoWorker(registry, task.taskId, task.toolCallId);
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(task));
        return true;
      }
      return false;
    },
  });
  const port = Number(process.env.PORT ?? 3000);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  process.stdout.write(`listening on http://127.0.0.1:${port}/\n`);
  const stop = () => {
    server.closeAllConnections();
    server.close();
    void registry.close();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});

import type { ChatApiJob, ParentMessage, ScenarioOutcome } from '../child-protocol.js';
import type { ScenarioContext } from './context.js';
import { startChatApi } from './sse-http.js';

/**
 * The chat API as deployed, in a process of its own: the registry's SSE handler on `job.port`, serving until the
 * parent sends `stop`. Its first progress report (100 ms after it listens) says it is serving; its RSS and CPU
 * profile are the server's alone, with the clients in another process as browsers are.
 */
export async function runChatApiProcess(job: ChatApiJob, ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const stopped = new Promise<void>((resolve) => {
    process.on('message', (message: ParentMessage) => {
      if (message.type === 'stop') resolve();
    });
  });
  const api = await startChatApi(job.url, job.readerConnections, job.port);
  const started = performance.now();
  await ctx.measuring();
  await stopped;
  await ctx.measured();
  await api.close();
  return { messages: 0, elapsedMs: performance.now() - started };
}

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CompletionPublisher } from '@chat/completion-publisher';
import type { OperationCompleteInput } from '@chat/completion-schema';
import type { CreateTaskInput, StreamRegistry, UIMessageChunk } from '@chat/stream-registry';
import { writeSSE } from '@chat/stream-registry';
import { uniquePrefix } from '@chat/testing';
import type { Cluster, Redis } from 'ioredis';
import { readSSE } from './sse-client.js';

// The worker's test helpers, also what other workspace packages import as `@chat/consumer-worker/test` (the
// fault tests, the demo): none of it is part of the service's `dist/`.
export { readSSE, type SSEEvent } from './sse-client.js';
export {
  PHASE_HOOKS_WORKER,
  spawnWorker,
  startWorkerProcess,
  WORKER_MAIN,
  type WorkerLogLine,
  type WorkerProcess,
} from './worker-process.js';

/** The chunks of a task's stream, in order, as stored. */
export async function readChunks(
  redis: Redis | Cluster,
  registry: Pick<StreamRegistry, 'keys'>,
  taskId: string,
): Promise<UIMessageChunk[]> {
  const entries = (await redis.xrange(registry.keys.stream(taskId), '-', '+')) as [string, string[]][];
  return entries.map(
    ([, fields]) => JSON.parse(fields[fields.indexOf('data') + 1] as string) as UIMessageChunk,
  );
}

/** Environment for a worker isolated from other tests on a shared Redis: its own stream, group and key prefix. */
export function isolatedEnv(redisUrl: string, label: string, extra: Record<string, string | undefined> = {}) {
  const prefix = uniquePrefix(label);
  return {
    prefix,
    stream: `${prefix}completions`,
    keyPrefix: prefix,
    env: {
      REDIS_URL: redisUrl,
      NODE_ENV: 'test',
      COMPLETION_STREAM: `${prefix}completions`,
      KEY_PREFIX: prefix,
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      // debug: tests wait for per-completion lines (`completion settled`), which are debug (info has a summary).
      LOG_LEVEL: 'debug',
      CLAIM_INTERVAL_MS: '200',
      RETRY_BASE_MS: '100',
      RETRY_MAX_MS: '300',
      ...extra,
    } as Record<string, string | undefined>,
  };
}

/** The group `group` of `stream` has read every entry up to `lastId` and acknowledged them all. */
export async function allAcked(redis: Redis, stream: string, lastId: string, group = 'chat_consumers') {
  const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
  const info = groups.find((fields) => fields[fields.indexOf('name') + 1] === group);
  const delivered = info?.[info.indexOf('last-delivered-id') + 1];
  return delivered === lastId && ((await redis.xpending(stream, group)) as [number])[0] === 0;
}

/** A task as the chat API registers it for `id`: user `u`, session `s`, tool call `call-<id>`, operation `op-<id>`. */
export function testTask(id: string, toolName = 'create_agent') {
  return {
    taskId: id,
    sessionId: 's',
    userId: 'u',
    toolCallId: `call-${id}`,
    toolName,
    operationId: `op-${id}`,
  };
}

/** A chat API on a loopback port, as started by {@link startChatApi}. */
export interface ChatApi {
  readonly server: Server;
  /** Base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The SSE URL of a task: `<url>/tasks/<taskId>/stream`. */
  streamUrl(taskId: string): string;
  close(): Promise<void>;
}

/**
 * Serves tasks over SSE as the application's chat API would: `GET /tasks/<taskId>/stream` streams the task to the
 * user named by the `x-user-id` header (resuming after `Last-Event-ID`); any other path is 404.
 */
export async function startChatApi(registry: StreamRegistry): Promise<ChatApi> {
  const server = createServer((req, res) => {
    const match = /^\/tasks\/([^/?]+)\/stream/.exec(req.url ?? '');
    if (!match) return void res.writeHead(404).end();
    void writeSSE(registry, decodeURIComponent(match[1]!), req, res, {
      userId: String(req.headers['x-user-id'] ?? ''),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    url,
    streamUrl: (taskId) => `${url}/tasks/${encodeURIComponent(taskId)}/stream`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A subscriber still connected would hold close() open until its stream ends.
        server.closeAllConnections();
      }),
  };
}

/**
 * What a browser sees of one tool call: registers the task for `userId`, opens its stream through the chat API as
 * that user, publishes the operation's successful completion with `result`, and resolves with the published
 * entry id and the whole SSE answer once the stream ends.
 */
export async function completeWhileWatching(
  api: ChatApi,
  registry: StreamRegistry,
  publisher: CompletionPublisher,
  task: Partial<CreateTaskInput> & {
    taskId: string;
    userId: string;
    operationId: string;
    result: OperationCompleteInput['result'];
  },
): Promise<{ entryId: string; sse: Awaited<ReturnType<typeof readSSE>> }> {
  const { result, ...fields } = task;
  await registry.createTask({ ...testTask(task.taskId), ...fields });
  const sse = readSSE(api.streamUrl(task.taskId), { headers: { 'x-user-id': task.userId } });
  const entryId = await publisher.publish({
    operation_id: task.operationId,
    task_id: task.taskId,
    success: true,
    result,
  });
  return { entryId, sse: await sse };
}

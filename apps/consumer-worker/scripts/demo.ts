// The project's main job as a runnable demo: the worker on its embedded redis-server, a chat API serving SSE,
// and an Agent Generator publishing completions. Exits 0 only when every browser saw what it should.
// It runs from source (`pnpm demo`: tsx) against the built worker, so the service's dist/ holds no demo.
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listDeadLetters } from '@chat/completion-consumer';
import { createPublisher } from '@chat/completion-publisher';
import { DEFAULT_COMPLETION_STREAM, deadLetterStreamFor } from '@chat/completion-schema';
import { createStreamRegistry, type UIMessageChunk } from '@chat/stream-registry';
import { readUIMessageStream, type UIMessage } from 'ai';
import { Redis } from 'ioredis';
import { readSSE, type SSEEvent, spawnWorker, startChatApi } from '../test/helpers.js';

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const say = (s = '') => process.stdout.write(`${s}\n`);
const failures: string[] = [];
const expect = (ok: boolean, what: string) => {
  say(`  ${ok ? '✓' : '✗'} ${what}`);
  if (!ok) failures.push(what);
};

const dataDir = resolve(process.env.DEMO_DATA_DIR ?? '.data/demo');
rmSync(dataDir, { recursive: true, force: true });

/** The worker with the application's hooks: a chat-history stand-in and a deterministic stand-in for the LLM. */
const DEMO_WORKER = fileURLToPath(new URL('./demo-worker.mjs', import.meta.url));

say(bold('1. Start the consumer worker (no REDIS_URL: it starts its own redis-server)'));
const worker = spawnWorker(
  {
    REDIS_URL: undefined,
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    CONSUMER_NAME: 'demo-worker',
    // Quick retries so the unknown task reaches the dead-letter stream within seconds.
    MAX_DELIVERIES: '3',
    RETRY_BASE_MS: '300',
    RETRY_MAX_MS: '1000',
    CLAIM_INTERVAL_MS: '200',
    // debug: the demo waits for a `completion settled` line, logged per completion at debug.
    LOG_LEVEL: 'debug',
  },
  DEMO_WORKER,
);
const stopWorker = () => worker.child.kill('SIGKILL');
process.on('exit', stopWorker);

try {
  const first = await worker.waitForLog(() => true);
  say(`  worker's first log line: "${first.msg}"`);
  const redisUrl = String(first.redis);
  const ready = await worker.waitForLog((line) => line.msg === 'consumer-worker ready');
  const workerHttp = `http://127.0.0.1:${ready.httpPort}`;
  say(`  embedded Redis ${redisUrl}, data in ${dataDir} (AOF on); worker HTTP ${workerHttp}`);

  say(bold('\n2. The chat API registers tasks and serves their SSE streams'));
  const redis = new Redis(redisUrl);
  redis.on('error', () => {});
  const registry = createStreamRegistry({ redis });
  const api = await startChatApi(registry);
  const run = Date.now().toString(36);
  const tasks = [
    { key: 'object', toolName: 'create_agent', label: 'success, object result' },
    { key: 'string', toolName: 'edit_agent', label: 'success, string result' },
    { key: 'failure', toolName: 'create_agent', label: 'failure' },
  ].map((t, i) => ({
    ...t,
    taskId: `task-${run}-${t.key}`,
    operationId: `op-${run}-${t.key}`,
    toolCallId: `call-${i + 1}`,
    sessionId: `session-${run}`,
    userId: 'user-1',
  }));
  for (const task of tasks) {
    await registry.createTask(task);
    // What the chat API streamed before handing the tool call off: the assistant message and the tool call.
    for (const chunk of [
      { type: 'start', messageId: `msg-${task.key}` },
      { type: 'start-step' },
      {
        type: 'tool-input-available',
        toolCallId: task.toolCallId,
        toolName: task.toolName,
        input: { goal: 'summarise' },
      },
      { type: 'finish-step' },
    ] satisfies UIMessageChunk[]) {
      await registry.publishChunk(task.taskId, chunk);
    }
    say(`  registered ${task.taskId} (${task.toolName}, operation ${task.operationId})`);
  }

  say(bold('\n3. Browsers subscribe over SSE'));
  const seen = new Map<string, Promise<Awaited<ReturnType<typeof readSSE>>>>();
  for (const task of tasks) {
    seen.set(task.taskId, readSSE(api.streamUrl(task.taskId), { headers: { 'x-user-id': task.userId } }));
  }
  const outsider = await readSSE(api.streamUrl(tasks[0]!.taskId), {
    headers: { 'x-user-id': 'mallory' },
  });
  expect(outsider.status === 403, `another user is refused (HTTP ${outsider.status})`);

  say(bold('\n4. The Agent Generator publishes completions'));
  const publisher = createPublisher({ url: redisUrl });
  const [objectTask, stringTask, failedTask] = tasks as [
    (typeof tasks)[0],
    (typeof tasks)[0],
    (typeof tasks)[0],
  ];
  await publisher.publish({
    operation_id: objectTask.operationId,
    task_id: objectTask.taskId,
    success: true,
    result: { agent_id: 'agent-42', name: 'Summariser', api_key: 'sk-live-do-not-leak' },
  });
  await publisher.publish({
    operation_id: stringTask.operationId,
    task_id: stringTask.taskId,
    success: true,
    result: 'Agent "Summariser" updated: 2 nodes added',
  });
  await publisher.publish({
    operation_id: failedTask.operationId,
    task_id: failedTask.taskId,
    success: false,
    error: 'Agent generation timed out after 300 s',
  });
  const ghost = await publisher.publish({
    operation_id: `op-${run}-ghost`,
    task_id: `task-${run}-ghost`,
    success: true,
  });
  // A foreign producer writing garbage: the publisher would refuse it, so write it raw.
  const malformed = await redis.xadd(
    DEFAULT_COMPLETION_STREAM,
    '*',
    'data',
    '{"operation_id": "op-broken", ',
  );
  say('  published: object result, string result, failure, one for an unknown task, and one malformed entry');

  say(bold('\n5. What each browser sees'));
  const streams = new Map<string, SSEEvent[]>();
  for (const task of tasks) {
    const result = await Promise.race([
      seen.get(task.taskId)!,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`no [DONE] for ${task.taskId}`)), 30_000),
      ),
    ]);
    streams.set(task.taskId, result.events);
    say(`  ${task.taskId} (${task.label}) — HTTP ${result.status}, ${result.headers.get('content-type')}`);
    for (const event of result.events) say(`      id: ${event.id ?? '-'}  data: ${event.data}`);
  }
  const chunks = (taskId: string) =>
    (streams.get(taskId) ?? [])
      .filter((e) => e.data !== '[DONE]')
      .map((e) => JSON.parse(e.data) as Record<string, unknown>);
  const toolChunk = (taskId: string) =>
    chunks(taskId).find((c) => c.type === 'tool-output-available' || c.type === 'error');
  expect(
    toolChunk(objectTask.taskId)?.type === 'tool-output-available' &&
      toolChunk(objectTask.taskId)?.output ===
        '{"agent_id":"agent-42","name":"Summariser","api_key":"[REDACTED]"}',
    'object result arrives as JSON, with api_key redacted',
  );
  expect(
    toolChunk(stringTask.taskId)?.output === 'Agent "Summariser" updated: 2 nodes added',
    'string result arrives as is',
  );
  expect(
    toolChunk(failedTask.taskId)?.type === 'error' &&
      toolChunk(failedTask.taskId)?.errorText === 'Agent generation timed out after 300 s',
    'failure arrives as an error chunk with the error text (the original dialect)',
  );
  const afterTool = (taskId: string) => {
    const all = chunks(taskId);
    const tool = all.findIndex((c) => c.type === 'tool-output-available' || c.type === 'error');
    return all.slice(tool + 1).map((c) => c.type);
  };
  const continued = ['start-step', 'text-start', 'text-delta', 'text-end', 'finish-step', 'finish'];
  expect(
    [objectTask, stringTask].every(
      (task) =>
        afterTool(task.taskId)
          .filter((type, i, all) => type !== 'text-delta' || all[i - 1] !== 'text-delta')
          .join() === continued.join(),
    ),
    'each success: the continuation streams between the tool output and the finish',
  );
  expect(afterTool(failedTask.taskId).join() === 'finish', 'the failure: no continuation, then the finish');

  say(bold("\n5b. The browser side assembles the assistant message (the AI SDK's readUIMessageStream)"));
  const assembled = await assemble(chunks(objectTask.taskId) as UIMessageChunk[]);
  for (const part of assembled.parts) say(`      ${JSON.stringify(part)}`);
  const parts = assembled.parts.filter((part) => part.type !== 'step-start');
  expect(
    parts.length === 2 &&
      parts[0]?.type === 'tool-create_agent' &&
      (parts[0] as { state?: string }).state === 'output-available' &&
      parts[1]?.type === 'text' &&
      parts[1].text === 'Your agent Summariser is saved and ready to run.',
    'one assistant message: the tool part with its output, then the text part',
  );
  for (const task of tasks) {
    const events = streams.get(task.taskId) ?? [];
    expect(
      chunks(task.taskId).filter((c) => c.type === 'finish').length === 1 && events.at(-1)?.data === '[DONE]',
      `${task.taskId}: exactly one finish, then [DONE]`,
    );
  }

  say(bold('\n6. A browser reconnects with Last-Event-ID'));
  const objectEvents = streams.get(objectTask.taskId) ?? [];
  const missedFrom = objectEvents.length - 4;
  const lastSeenId = objectEvents[missedFrom - 1]?.id ?? '';
  const resumed = await readSSE(api.streamUrl(objectTask.taskId), {
    headers: { 'x-user-id': objectTask.userId, 'last-event-id': lastSeenId },
  });
  say(
    `  resumed after ${lastSeenId}: ${resumed.events.map((e) => e.data).join(' | ') || `(HTTP ${resumed.status})`}`,
  );
  expect(
    resumed.events.map((e) => e.data).join() ===
      objectEvents
        .slice(missedFrom)
        .map((e) => e.data)
        .join(),
    'the reconnect gets only what it missed',
  );

  say(bold('\n7. A redelivered completion changes nothing'));
  const [[, fields]] = (await redis.xrange(DEFAULT_COMPLETION_STREAM, '-', '+', 'COUNT', 1)) as [
    [string, string[]],
  ];
  await redis.xadd(DEFAULT_COMPLETION_STREAM, '*', ...fields);
  await worker.waitForLog(
    (line) => line.msg === 'completion settled' && line.outcome === 'duplicate',
    15_000,
  );
  const finishes = (await redis.xrange(`chat:stream:${objectTask.taskId}`, '-', '+')).filter(([, f]) =>
    f[1]?.includes('"finish"'),
  ).length;
  expect(finishes === 1, `the same message again: task stays completed, still ${finishes} finish chunk`);

  say(bold('\n8. Where the bad messages went'));
  const dlq = deadLetterStreamFor(DEFAULT_COMPLETION_STREAM);
  const deadline = Date.now() + 30_000;
  let letters = await listDeadLetters({ redis });
  while (letters.length < 2 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    letters = await listDeadLetters({ redis });
  }
  for (const letter of letters) {
    say(
      `  ${dlq} ${letter.id}: reason=${letter.reason} source_id=${letter.sourceId} deliveries=${letter.deliveryCount}`,
    );
    say(`      error: ${letter.error}`);
  }
  expect(
    letters.some((l) => l.sourceId === malformed && l.reason === 'invalid_json'),
    'malformed entry → DLQ, invalid_json',
  );
  expect(
    letters.some((l) => l.sourceId === ghost && l.reason === 'task_not_found'),
    'unknown task → DLQ, task_not_found (after 3 deliveries)',
  );
  const pending = (await redis.xpending(DEFAULT_COMPLETION_STREAM, 'chat_consumers')) as [
    number,
    ...unknown[],
  ];
  expect(pending[0] === 0, `nothing left pending (${pending[0]})`);

  say(bold('\n9. The worker reports'));
  const readyz = await fetch(`${workerHttp}/readyz`);
  say(`  GET /readyz → ${readyz.status} ${JSON.stringify(await readyz.json())}`);
  expect(readyz.status === 200, '/readyz is 200');
  const metrics = await (await fetch(`${workerHttp}/metrics`)).text();
  for (const name of [
    'chat_completions_total',
    'chat_consumer_dead_lettered_total',
    'chat_consumer_processed_total',
  ]) {
    const lines = metrics.split('\n').filter((l) => l.startsWith(name));
    say(`  ${lines.join('\n  ')}`);
  }
  expect(
    /chat_completions_total\{outcome="completed",tool="create_agent"\} 1/.test(metrics),
    '/metrics counts the completions',
  );

  // Our clients go first: the embedded Redis stops with the worker.
  await publisher.close();
  await registry.close();
  await api.close();
  redis.disconnect();

  say(bold('\n10. SIGTERM: the worker drains and exits'));
  worker.child.kill('SIGTERM');
  const code = await worker.exited;
  expect(code === 0, `worker exited with ${code}`);
} catch (error) {
  failures.push((error as Error).message);
  say(`\n${(error as Error).stack}`);
  say(worker.output().slice(-3000));
} finally {
  process.off('exit', stopWorker);
  stopWorker();
}

/** What the AI SDK's `readUIMessageStream` makes of a task's chunks: the last state of the message. */
async function assemble(list: UIMessageChunk[]): Promise<UIMessage> {
  const stream = new ReadableStream({
    start(controller) {
      for (const chunk of list) controller.enqueue(chunk);
      controller.close();
    },
  });
  let last: UIMessage | undefined;
  for await (const message of readUIMessageStream({ stream: stream as never, terminateOnError: true }))
    last = message;
  if (!last) throw new Error('no message assembled');
  return last;
}

say(
  failures.length === 0
    ? bold('\ndemo passed: everything arrived as expected')
    : bold(`\ndemo FAILED: ${failures.join('; ')}`),
);
process.exit(failures.length === 0 ? 0 : 1);

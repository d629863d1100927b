import { readFile } from 'node:fs/promises';
import { StreamRegistry } from '@chat/stream-registry';
import { Redis } from 'ioredis';
import type { ScenarioOutcome, WatcherClientsJob } from '../child-protocol.js';
import { commandsPerMessage } from '../redis-admin.js';
import { until } from './consumer.js';
import type { ScenarioContext } from './context.js';
import { monotonicMicros } from './paced-producer.js';
import { openSse, type SseConnection } from './sse-http.js';

/** Most connections being opened at once in the first connect (the storm opens all at once). */
const CONNECT_WAVE = 1000;
/** A browser's EventSource retries after the server's `retry:`; the storm's clients after this. */
const RETRY_MS = 100;

interface Watcher {
  task: string;
  user: string;
  ids: string[];
  connection: SseConnection | undefined;
  duplicates: number;
}

/** Runs `fn` over `items`, `wave` at a time. */
async function inWaves<T>(items: T[], wave: number, fn: (item: T, i: number) => Promise<void>) {
  for (let from = 0; from < items.length; from += wave)
    await Promise.all(items.slice(from, from + wave).map((item, k) => fn(item, from + k)));
}

/**
 * The client side of the many-watchers scenario, in its own process: registers the tasks (each with a `start`
 * chunk), opens `subscribers` SSE connections over them, writes `chunks` chunks per task and waits until every
 * subscriber has each exactly once; then drops every connection, writes `stormChunks` more per task, and
 * reconnects all at once with `Last-Event-ID`, timing until everyone has caught up and counting the commands Redis
 * ran meanwhile. Reports the phases' moments for the server process to read its RSS and CPU at.
 */
export async function runWatcherClients(
  job: WatcherClientsJob,
  ctx: ScenarioContext,
): Promise<ScenarioOutcome> {
  const redis = new Redis(job.url, { maxRetriesPerRequest: null });
  const admin = new Redis(job.url);
  const registry = new StreamRegistry({ redis });
  const tasks = Array.from({ length: job.tasks }, (_, t) => `watch-${t}`);
  const written = new Map<string, string[]>();
  await inWaves(tasks, 500, async (taskId, t) => {
    await registry.createTask({
      taskId,
      sessionId: `watch-session-${t}`,
      userId: `user-${t % 100}`,
      toolCallId: `watch-call-${t}`,
      toolName: 'create_agent',
      operationId: `watch-op-${t}`,
    });
    written.set(taskId, [await registry.publishChunk(taskId, { type: 'start', messageId: `msg-${t}` })]);
  });
  const watchers: Watcher[] = Array.from({ length: job.subscribers }, (_, s) => ({
    task: tasks[s % job.tasks]!,
    user: `user-${(s % job.tasks) % 100}`,
    ids: [],
    connection: undefined,
    duplicates: 0,
  }));
  let received = 0;
  let retries = 0;
  let live = true;
  const connect = (w: Watcher, onFirst?: () => void) => {
    let first = true;
    w.connection = openSse(
      job.port,
      w.task,
      w.user,
      w.ids.at(-1),
      (event) => {
        if (!event.id) return;
        if (w.ids.includes(event.id)) w.duplicates++;
        else {
          w.ids.push(event.id);
          received++;
        }
        if (first) {
          first = false;
          onFirst?.();
        }
      },
      (error) => {
        // A refused or reset connection retries from its last id, as a browser would.
        if (!error || !live) return;
        retries++;
        setTimeout(() => connect(w, first ? onFirst : undefined), RETRY_MS);
      },
    );
  };
  const writeRound = (label: string, round: number) =>
    inWaves(tasks, 500, async (taskId) => {
      const id = await registry.publishChunk(taskId, { type: 'data-bench', data: { label, round } });
      written.get(taskId)!.push(id);
    });
  const everyoneHas = (count: number) => () => watchers.every((w) => w.ids.length >= count);

  await ctx.measuring();
  // 1. Connect everyone (waves, so the accept queue is not the test); connected = each has its `start` chunk.
  const connectStartUs = monotonicMicros();
  await new Promise<void>((resolve) => {
    let next = 0;
    let opening = 0;
    let connected = 0;
    const pump = () => {
      while (next < watchers.length && opening < CONNECT_WAVE) {
        opening++;
        connect(watchers[next++]!, () => {
          opening--;
          connected++;
          ctx.progress(connected);
          if (connected === watchers.length) resolve();
          else pump();
        });
      }
    };
    pump();
  });
  const connectedUs = monotonicMicros();

  // 2. Fan-out: every chunk of a task reaches each of its subscribers once.
  const fanOutStartUs = monotonicMicros();
  for (let round = 0; round < job.chunks; round++) await writeRound('live', round);
  await until(everyoneHas(1 + job.chunks), 300_000, 5);
  const fanOutDoneUs = monotonicMicros();

  // 3. Storm: everyone drops, more chunks arrive meanwhile, everyone reconnects at once with Last-Event-ID.
  for (const w of watchers) w.connection?.close();
  for (let round = 0; round < job.stormChunks; round++) await writeRound('missed', round);
  await admin.config('RESETSTAT');
  const overflowsBefore = await listenOverflows();
  const stormStartUs = monotonicMicros();
  for (const w of watchers) connect(w);
  await until(everyoneHas(1 + job.chunks + job.stormChunks), 300_000, 5);
  const stormDoneUs = monotonicMicros();
  const overflowsAfter = await listenOverflows();
  const stormCommands = await commandsPerMessage(admin, 1);
  live = false;
  for (const w of watchers) w.connection?.close();
  await ctx.measured();

  const gaps = watchers.filter((w) => w.ids.join() !== written.get(w.task)!.join()).length;
  const duplicates = watchers.reduce((sum, w) => sum + w.duplicates, 0);
  await registry.close();
  await redis.quit();
  await admin.quit();
  const total = Object.values(stormCommands).reduce((a, b) => a + b, 0);
  return {
    messages: received,
    elapsedMs: (stormDoneUs - connectStartUs) / 1000,
    figures: {
      connectStartUs,
      connectedUs,
      fanOutStartUs,
      fanOutDoneUs,
      stormStartUs,
      stormDoneUs,
      gaps,
      duplicates,
      retries,
      stormXrange: stormCommands.xrange ?? 0,
      stormHgetall: stormCommands.hgetall ?? 0,
      stormXread: stormCommands.xread ?? 0,
      stormCommands: Math.round(total),
      // Connection attempts the kernel dropped because the listen queue was full (somaxconn): each is retried by
      // the client's TCP stack after 1 s, then 3 s, so they show as steps in the catch-up time.
      ...(overflowsBefore !== undefined && overflowsAfter !== undefined
        ? { stormListenOverflows: overflowsAfter - overflowsBefore }
        : {}),
    },
  };
}

/** The kernel's count of connections dropped on a full listen queue (Linux `TcpExt: ListenOverflows`), if known. */
async function listenOverflows(): Promise<number | undefined> {
  try {
    const lines = (await readFile('/proc/net/netstat', 'utf8')).split('\n');
    const at = lines.findIndex((line) => line.startsWith('TcpExt:'));
    const names = lines[at]?.split(/\s+/) ?? [];
    const values = lines[at + 1]?.split(/\s+/) ?? [];
    const index = names.indexOf('ListenOverflows');
    return index > 0 ? Number(values[index]) : undefined;
  } catch {
    return undefined;
  }
}

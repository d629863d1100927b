import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { encode } from '@chat/completion-schema';
import { type RedisServer, uniquePrefix } from '@chat/testing';
import { ownRedisServer } from '@chat/testing/suite';
import { type Cluster, Redis } from 'ioredis';
import { afterAll, inject } from 'vitest';
import { CompletionConsumer, type ConsumerOptions, type MessageHandler } from '../src/index.js';

/** Fresh stream and group names for one test. */
export function names(label: string): { stream: string; group: string } {
  const prefix = uniquePrefix(label);
  return { stream: `${prefix}completions`, group: 'workers' };
}

/** XADDs `n` valid completion messages; returns their ids. */
export async function publish(
  redis: Redis | Cluster,
  stream: string,
  n: number,
  from = 0,
): Promise<string[]> {
  const pipeline = redis.pipeline();
  for (let i = from; i < from + n; i++)
    pipeline.xadd(stream, '*', ...encode({ operation_id: `op-${i}`, task_id: `task-${i}`, success: true }));
  const results = (await pipeline.exec()) ?? [];
  return results.map(([error, id]) => {
    if (error) throw error;
    return id as string;
  });
}

export { waitFor } from '@chat/testing';

/** Test-friendly options: short timers so behaviours show up in well under a second. */
export function fastOptions(): Partial<ConsumerOptions> {
  return {
    blockMs: 200,
    claimIdleMs: 500,
    claimIntervalMs: 100,
    ackFlushMs: 2,
    backoff: { baseMs: 20, maxMs: 100, jitter: 0 },
    reconnectBackoff: { baseMs: 50, maxMs: 300, jitter: 0.2 },
    shutdownTimeoutMs: 2_000,
  };
}

/** Starts a consumer and registers it for closing. */
export async function startConsumer(
  options: ConsumerOptions,
  cleanup: CompletionConsumer[],
): Promise<CompletionConsumer> {
  const consumer = new CompletionConsumer({ ...fastOptions(), ...options });
  cleanup.push(consumer);
  await consumer.start();
  return consumer;
}

/** Group pending summary count. */
export async function pendingCount(redis: Redis, stream: string, group: string): Promise<number> {
  const summary = (await redis.xpending(stream, group)) as [number];
  return Number(summary[0]);
}

const require = createRequire(import.meta.url);

/** Spawns a real child process running `fixtures/<name>.ts` with tsx (and .lua loading), collecting stdout lines. */
export function spawnFixture(
  name: string,
  env: Record<string, string>,
): { child: ChildProcess; lines: string[] } {
  const tsx = require.resolve('tsx');
  const register = require.resolve('@chat/testing/register-lua');
  const script = fileURLToPath(new URL(`./fixtures/${name}.ts`, import.meta.url));
  const child = spawn(process.execPath, ['--import', register, '--import', tsx, script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  child.on('exit', (code, signal) => {
    if (code && code !== 0) lines.push(`exit ${code}: ${stderr}`);
    else if (signal) lines.push(`signal ${signal}`);
  });
  return { child, lines };
}

/** Delivery count of one pending entry (XPENDING does not change it), or undefined when it is not pending. */
export async function deliveryCount(
  redis: Redis,
  stream: string,
  group: string,
  id: string,
): Promise<number | undefined> {
  const rows = (await redis.xpending(stream, group, id, id, 1)) as [string, string, number, number][];
  return rows[0] === undefined ? undefined : Number(rows[0][3]);
}

/** A promise with its resolve function, for handlers that wait until the test lets them go. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A handler that records each delivery count, tells when it started, and holds its entry until `release()`. */
export function holdingHandler(): {
  handler: MessageHandler;
  started: Promise<void>;
  release: () => void;
  counts: number[];
} {
  const started = deferred();
  const held = deferred();
  const counts: number[] = [];
  return {
    handler: async (_message, ctx) => {
      counts.push(ctx.deliveryCount);
      started.resolve();
      await held.promise;
    },
    started: started.promise,
    release: held.resolve,
    counts,
  };
}

/**
 * The scaffold of a consumer test suite (call it inside `describe`): a client on the shared test Redis and the
 * list {@link startConsumer} registers consumers in; all are closed after the suite.
 */
export function sharedRedisSuite(): { redis: Redis; consumers: CompletionConsumer[] } {
  const redis = new Redis(inject('redisUrl'));
  const consumers: CompletionConsumer[] = [];
  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.close()));
    await redis.quit();
  });
  return { redis, consumers };
}

/**
 * {@link sharedRedisSuite} on a redis-server of the suite's own ({@link ownRedisServer}: INFO commandstats then
 * counts only its commands); read `server` and `redis` inside tests.
 */
export function ownRedisSuite(): {
  readonly server: RedisServer;
  readonly redis: Redis;
  consumers: CompletionConsumer[];
} {
  const own = ownRedisServer();
  const consumers: CompletionConsumer[] = [];
  afterAll(() => Promise.all(consumers.map((c) => c.close())));
  return {
    get server() {
      return own.server;
    },
    get redis() {
      return own.redis;
    },
    consumers,
  };
}

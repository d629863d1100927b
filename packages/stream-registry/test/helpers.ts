import type { AddressInfo } from 'node:net';
import { uniquePrefix } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, inject } from 'vitest';
import { createChatApiServer } from '../examples/chat-api-server.js';
import {
  type ActiveTask,
  type KeyLayout,
  type StreamEntry,
  StreamRegistry,
  type StreamRegistryOptions,
  type UIMessageChunk,
} from '../src/index.js';

/** A registry on the shared test Redis with its own key prefix, plus the caller-owned client it uses. */
export interface TestRegistry {
  registry: StreamRegistry;
  redis: Redis;
  prefix: string;
  close(): Promise<void>;
}

export function makeRegistry(
  layout: KeyLayout,
  options: Omit<StreamRegistryOptions, 'redis' | 'url' | 'keyLayout' | 'keyPrefix'> = {},
  redisOptions: { connectionName?: string; url?: string } = {},
): TestRegistry {
  const prefix = uniquePrefix(`reg-${layout}`);
  const redis = new Redis(redisOptions.url ?? inject('redisUrl'), {
    connectionName: redisOptions.connectionName,
  });
  const registry = new StreamRegistry({ redis, keyLayout: layout, keyPrefix: prefix, ...options });
  return {
    registry,
    redis,
    prefix,
    async close() {
      await registry.close();
      await redis.quit();
    },
  };
}

let counter = 0;

/** Creates a running task with fresh ids. */
export async function newTask(
  registry: StreamRegistry,
  overrides: Partial<{ userId: string | null; sessionId: string; toolName: string }> = {},
): Promise<ActiveTask> {
  counter += 1;
  const n = `${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
  return registry.createTask({
    taskId: `task-${n}`,
    sessionId: overrides.sessionId ?? `session-${n}`,
    userId: overrides.userId === undefined ? 'user-1' : overrides.userId,
    toolCallId: `call-${n}`,
    toolName: overrides.toolName ?? 'create_agent',
    operationId: `op-${n}`,
  });
}

/** The chunk sequence the chat API typically writes before the tool's long work starts. */
export function openingChunks(toolCallId: string): UIMessageChunk[] {
  return [
    { type: 'start', messageId: 'msg-1' },
    { type: 'start-step' },
    { type: 'tool-input-available', toolCallId, toolName: 'create_agent', input: { goal: 'x' } },
  ];
}

export { waitFor } from '@chat/testing';

/** The lines of CLIENT LIST whose connection name starts with `name` (a registry's client and its readers). */
export async function connectionsNamed(redis: Redis, name: string): Promise<string[]> {
  const list = (await redis.client('LIST')) as string;
  return list.split('\n').filter((line) => line.includes(` name=${name}`));
}

/**
 * Subscribes `subscribers` times, round-robin over `tasks`, each collecting its entries until its iteration ends;
 * `received[i]` fills as subscriber `i` gets entries, `done` settles when every iteration has ended.
 */
export async function subscribeAll(
  registry: StreamRegistry,
  tasks: readonly ActiveTask[],
  subscribers: number,
): Promise<{ received: StreamEntry[][]; done: Promise<unknown> }> {
  const received: StreamEntry[][] = [];
  const runs: Promise<void>[] = [];
  for (let i = 0; i < subscribers; i += 1) {
    const task = tasks[i % tasks.length];
    if (!task) throw new Error('no task');
    const entries: StreamEntry[] = [];
    received.push(entries);
    const subscription = await registry.subscribe(task.taskId, { userId: 'user-1' });
    runs.push(
      (async () => {
        for await (const entry of subscription) entries.push(entry);
      })(),
    );
  }
  return { received, done: Promise.all(runs) };
}

/** Collects a subscription's entries. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/**
 * Serves the example chat API for the tests of one `describe` block: listens before them, closes the server and
 * the registry after them. `url()` is the base URL once listening; `dropConnections()` cuts every open connection.
 */
export function serveChatApi(t: TestRegistry): { url: () => string; dropConnections: () => void } {
  const server = createChatApiServer(t.registry);
  let base = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });
  return { url: () => base, dropConnections: () => server.closeAllConnections() };
}

import { flatRecord, type RedisClient } from '@chat/redis-kit';
import type { StreamEntry, StreamRegistry } from '@chat/stream-registry';
import { NotFoundError } from './errors.js';

/** A task as an operator sees it: its hash, its operation mapping and its chunks, decoded. */
export interface TaskView {
  taskId: string;
  /** The task hash's key and its fields as stored (empty when the hash expired). */
  metaKey: string;
  hash: Record<string, string>;
  /** Seconds until the hash expires; null without a TTL or without a hash. */
  ttlSeconds: number | null;
  /** The operation mapping `…task:op:<operation_id>` and the task id it points to (null when missing). */
  operation: { key: string; operationId: string; taskId: string | null } | null;
  /** The chunk stream's key, its length, and its first `limit` chunks (JSON-decoded; unparsable data as text). */
  streamKey: string;
  streamLength: number;
  chunks: { id: string; chunk: unknown }[];
}

/**
 * Reads the task `taskId` through `registry`'s key layout: HGETALL, TTL, the op mapping, XLEN and XRANGE of its
 * chunks. {@link NotFoundError} when neither the hash nor the chunk stream exists.
 */
export async function readTaskView(
  redis: RedisClient,
  registry: StreamRegistry,
  taskId: string,
  limit: number,
): Promise<TaskView> {
  const metaKey = registry.keys.meta(taskId);
  const streamKey = registry.keys.stream(taskId);
  const [hash, ttl, streamLength, rows] = await Promise.all([
    redis.hgetall(metaKey),
    redis.ttl(metaKey),
    redis.xlen(streamKey),
    redis.xrange(streamKey, '-', '+', 'COUNT', limit) as Promise<[string, string[]][]>,
  ]);
  if (Object.keys(hash).length === 0 && streamLength === 0) throw new NotFoundError(`no task ${taskId}`);
  const operationId = hash.operation_id;
  const operation = operationId
    ? {
        key: registry.keys.operation(operationId),
        operationId,
        taskId: await redis.get(registry.keys.operation(operationId)),
      }
    : null;
  return {
    taskId,
    metaKey,
    hash,
    ttlSeconds: ttl >= 0 ? ttl : null,
    operation,
    streamKey,
    streamLength,
    chunks: rows.map(([id, fields]) => ({ id, chunk: parseJson(flatRecord(fields).data ?? '') })),
  };
}

/** `text` parsed as JSON, or the text itself when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Follows a task's chunk stream as a browser does (replay from the start, then live) until `finish` or `signal`;
 * the owner check passes as the task's own user, since an operator may read any task.
 */
export async function* tailTask(
  registry: StreamRegistry,
  taskId: string,
  signal?: AbortSignal,
): AsyncGenerator<StreamEntry> {
  const task = await registry.getTask(taskId);
  if (!task) throw new NotFoundError(`no task ${taskId}`);
  const subscription = await registry.subscribe(taskId, {
    userId: task.userId,
    ...(signal ? { signal } : {}),
  });
  yield* subscription;
}

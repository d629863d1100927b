import { publishedMarkerKey } from '@chat/completion-publisher';
import { deadLetterStreamFor } from '@chat/completion-schema';
import { evalScript, luaScript } from '@chat/redis-kit';
import { taskKeys } from '@chat/stream-registry/internal';
import type { Cluster, Redis } from 'ioredis';
import type { WorkerConfig } from './config.js';
import checkPermissionsScript from './lua/check-permissions-0.lua';

const CHECK_PERMISSIONS = luaScript('chatWorker', 'check-permissions-0', checkPermissionsScript);

/** One command the worker sends, with the keys it names (for the error message). */
export interface RequiredCommand {
  command: string[];
  keys: string[];
}

/** Every command the worker sends, with the keys of its configuration: what the README's ACL line grants. */
export function requiredRedisCommands(
  config: Pick<WorkerConfig, 'stream' | 'group' | 'consumerName' | 'keyLayout' | 'keyPrefix'> &
    Partial<Pick<WorkerConfig, 'completionApi'>>,
): RequiredCommand[] {
  const { stream, group, consumerName: consumer } = config;
  const keys = taskKeys(config.keyLayout, config.keyPrefix);
  const dlq = deadLetterStreamFor(stream);
  const meta = keys.meta('permission-probe');
  const chunks = keys.stream('permission-probe');
  const operation = keys.operation('permission-probe');
  const marker = keys.runningOperation('permission-probe');
  const published = publishedMarkerKey(stream, 'permission-probe');
  const c = (command: string[], ...named: string[]): RequiredCommand => ({ command, keys: named });
  return [
    c(['ping']),
    c(['info']),
    c(['client', 'setname', 'consumer-worker']),
    // ioredis sends it on every connect; Redis >= 7.2 and Valkey have it (the check skips it where it is unknown).
    c(['client', 'setinfo', 'lib-name', 'ioredis']),
    c(['client', 'id']),
    c(['client', 'unblock', '1']),
    c(['evalsha', '0000000000000000000000000000000000000000', '0']),
    c(['eval', 'return 1', '0']),
    c(['xgroup', 'create', stream, group, '0', 'MKSTREAM'], stream),
    c(['xgroup', 'delconsumer', stream, group, consumer], stream),
    c(['xreadgroup', 'GROUP', group, consumer, 'COUNT', '1', 'STREAMS', stream, '>'], stream),
    c(['xack', stream, group, '0-1'], stream),
    c(['xclaim', stream, group, consumer, '0', '0-1'], stream),
    c(['xautoclaim', stream, group, consumer, '0', '0-0'], stream),
    c(['xpending', stream, group], stream),
    c(['xrange', stream, '0-1', '0-1'], stream),
    c(['xinfo', 'groups', stream], stream),
    c(['xinfo', 'consumers', stream, group], stream),
    // Safe trimming (on by default) and the detection of entries trimmed before the group read them.
    c(['exists', stream], stream),
    c(['xinfo', 'stream', stream], stream),
    c(['xtrim', stream, 'MINID', '0-1'], stream),
    c(['xadd', dlq, '*', 'data', 'x'], dlq),
    c(['get', operation], operation),
    c(['hgetall', meta], meta),
    c(['hget', meta, 'status'], meta),
    c(['hset', meta, 'status', 'x'], meta),
    // The phased completion's bookkeeping (settle, fenced steps) and the server clock its leases use.
    c(['hmget', meta, 'status'], meta),
    c(['hdel', meta, 'completion_owner'], meta),
    c(['time']),
    c(['expire', meta, '1'], meta),
    c(['xadd', chunks, '*', 'data', 'x'], chunks),
    c(['xrange', chunks, '-', '+'], chunks),
    c(['expire', chunks, '1'], chunks),
    // The original's running-operation marker, cleared when a task settles.
    c(['del', marker], marker),
    // The HTTP completion endpoint publishes through the publisher's retry-safe script.
    ...(config.completionApi
      ? [
          c(['get', published], published),
          c(['set', published, 'x'], published),
          c(['xadd', stream, '*', 'data', 'x'], stream),
        ]
      : []),
  ];
}

/** `xgroup|create` for XGROUP CREATE: the name an ACL rule and a NOPERM reply use. */
function aclName(command: string[]): string {
  const [name = '', sub] = command;
  return (name === 'client' || name === 'xgroup' || name === 'xinfo') && sub ? `${name}|${sub}` : name;
}

/**
 * Checks at start, in one round trip and without running anything, that the Redis user may run every command
 * the worker will send on its keys, so a too-narrow ACL fails the start with the missing permissions named
 * instead of surfacing later as a consumer stuck in `degraded`. Returns the missing ones (empty when all are
 * granted, or when the server cannot tell: Redis < 7.0, or an error other than NOPERM). A command the server does
 * not have (`CLIENT SETINFO` before Redis 7.2) is not checked.
 */
export async function missingRedisPermissions(
  redis: Redis | Cluster,
  config: Parameters<typeof requiredRedisCommands>[0],
): Promise<string[]> {
  const required = requiredRedisCommands(config);
  const argv = required.flatMap(({ command }) => [String(command.length), ...command]);
  let denied: number[];
  try {
    // Runs once per start, so plain EVAL: caching it under a SHA would save nothing.
    denied = (await evalScript(redis, CHECK_PERMISSIONS, [], argv)) as number[];
  } catch (error) {
    const message = (error as Error).message ?? '';
    // The check itself needs EVAL; the refusal names it.
    if (message.startsWith('NOPERM')) return [message];
    // Redis < 7.0 (no acl_check_cmd) or a transient error: the consumer's own start reports real problems.
    return [];
  }
  return denied.map((index) => {
    const { command, keys } = required[index - 1]!;
    return keys.length ? `${aclName(command)} on ${keys.join(', ')}` : aclName(command);
  });
}

import type { Redis } from 'ioredis';
import { benchMessages } from './messages.js';

/** Empties the bench server between scenarios, so each starts from the same state and memory. */
export async function resetServer(redis: Redis): Promise<void> {
  await redis.flushall();
  await redis.config('SET', 'maxmemory-policy', 'noeviction');
}

/** Creates the consumer group at the start of the (possibly empty) stream. */
export async function createGroup(redis: Redis, stream: string, group: string): Promise<void> {
  await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
}

/** Adds `n` benchmark messages with pipelined raw `XADD`, as fast as Redis takes them (not measured). */
export async function preloadEntries(
  redis: Redis,
  stream: string,
  n: number,
  batchSize = 1000,
): Promise<void> {
  const messages = benchMessages(n);
  for (let from = 0; from < n; from += batchSize) {
    const pipeline = redis.pipeline();
    for (let i = from; i < Math.min(n, from + batchSize); i++)
      pipeline.xadd(stream, '*', 'data', JSON.stringify(messages[i]));
    for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
  }
}

/** Zeroes `INFO commandstats`, so the next read counts only the measured phase. */
export async function resetCommandStats(redis: Redis): Promise<void> {
  await redis.config('RESETSTAT');
}

/** Calls per command since the last reset, per message (bench bookkeeping such as INFO and CONFIG left out). */
export async function commandsPerMessage(redis: Redis, messages: number): Promise<Record<string, number>> {
  const info = await redis.info('commandstats');
  const perMessage: Record<string, number> = {};
  for (const line of info.split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (!match) continue;
    const [, name, calls] = match as unknown as [string, string, string];
    if (name === 'info' || name.startsWith('config')) continue;
    perMessage[name] = Math.round((Number(calls) / Math.max(1, messages)) * 1000) / 1000;
  }
  return perMessage;
}

/** CPU seconds (user + system) the Redis server has used since it started, from `INFO cpu`. */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const read = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return read('used_cpu_user') + read('used_cpu_sys');
}
/** The server's version, for the machine record. */
export async function redisVersion(redis: Redis): Promise<string> {
  const info = await redis.info('server');
  return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
}

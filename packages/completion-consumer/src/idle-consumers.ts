import { flatRecord } from '@chat/redis-kit';
import { type RedisClient, runScript } from './scripts.js';

/** Which consumers {@link deleteIdleConsumers} may remove. */
export interface IdleConsumerOptions {
  stream: string;
  group: string;
  /** Only consumers idle at least this long (XINFO CONSUMERS `idle`), in ms. */
  idleMs: number;
  /** Names never deleted (for example the caller itself). */
  keep?: readonly string[];
}

/**
 * Deletes consumers of `group` idle longer than `idleMs` that hold no pending entries, and returns their names.
 * Pending count and idle time are re-checked inside the same script as XGROUP DELCONSUMER, so a consumer that
 * picked up work in the meantime is never deleted with its entries. Keeps XINFO CONSUMERS short after many
 * restarts under changing names.
 */
export async function deleteIdleConsumers(
  redis: RedisClient,
  options: IdleConsumerOptions,
): Promise<string[]> {
  const consumers = (await redis.xinfo('CONSUMERS', options.stream, options.group)) as unknown[][];
  const keep = new Set(options.keep ?? []);
  const deleted: string[] = [];
  for (const info of consumers) {
    const record = flatRecord(info);
    const name = String(record.name);
    if (keep.has(name) || Number(record.pending) > 0 || Number(record.idle) < options.idleMs) continue;
    const result = await runScript(
      redis,
      'delete-idle-consumer-1',
      [options.stream],
      [options.group, name, Math.floor(options.idleMs)],
    );
    if (result === 1) deleted.push(name);
  }
  return deleted;
}

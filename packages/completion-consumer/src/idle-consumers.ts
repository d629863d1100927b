import { flatRecord } from '@chat/redis-kit';
import { type RedisClient, runScript } from './scripts.js';

/** Which consumers {@link deleteIdleConsumers} may remove. */
export interface IdleConsumerOptions {
  stream: string;
  group: string;
  /** Only consumers idle at least this long (XINFO CONSUMERS `idle`), in ms. */
  idleMs: number;
  /** Names never deleted (for example the caller itself). @defaultValue [] */
  keep?: readonly string[];
}

/** Defaults of {@link IdleConsumerOptions}. */
export const DEFAULT_IDLE_CONSUMER_OPTIONS = Object.freeze({
  /** @defaultValue [] */
  keep: Object.freeze([]) as readonly string[],
});

/** Applies {@link DEFAULT_IDLE_CONSUMER_OPTIONS}. */
function resolveIdleConsumerOptions(options: IdleConsumerOptions): Required<IdleConsumerOptions> {
  return { ...options, keep: options.keep ?? DEFAULT_IDLE_CONSUMER_OPTIONS.keep };
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
  const { stream, group, idleMs, keep: kept } = resolveIdleConsumerOptions(options);
  const consumers = (await redis.xinfo('CONSUMERS', stream, group)) as unknown[][];
  const keep = new Set(kept);
  const deleted: string[] = [];
  for (const info of consumers) {
    const record = flatRecord(info);
    const name = String(record.name);
    if (keep.has(name) || Number(record.pending) > 0 || Number(record.idle) < idleMs) continue;
    const result = await runScript(
      redis,
      'delete-idle-consumer-1',
      [stream],
      [group, name, Math.floor(idleMs)],
    );
    if (result === 1) deleted.push(name);
  }
  return deleted;
}

import type { Redis } from 'ioredis';

/**
 * Calls per command from `INFO commandstats` (since start or the last CONFIG RESETSTAT), leaving out the probes
 * themselves (`info`, `config|resetstat`). Counts every client, so use it on a server of the test's own.
 */
export async function commandCalls(redis: Redis): Promise<Record<string, number>> {
  const info = await redis.info('commandstats');
  const calls: Record<string, number> = {};
  for (const [, command, count] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (command && command !== 'info' && command !== 'config|resetstat') calls[command] = Number(count);
  }
  return calls;
}

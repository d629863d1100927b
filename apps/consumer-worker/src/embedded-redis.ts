import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type RedisServer, startRedis } from '@chat/testing';

/**
 * Starts the private redis-server the worker uses when no `REDIS_URL` is given outside production: data under
 * `<dataDir>/redis`, append-only file on (fsync every second), loopback only, on a free port.
 */
export async function startEmbeddedRedis(dataDir: string): Promise<RedisServer> {
  const dir = resolve(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  return startRedis({ dir, appendOnly: true, appendFsync: 'everysec' });
}

import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
// The one redis-server launcher of the repository (port races, a foreign server on our port, no child left behind
// on exit), bundled into dist/ at build: the service never imports the private test package at run time.
import { type RedisServer, startRedis } from '@chat/testing/redis-server';

/**
 * Starts the private redis-server the worker uses when no `REDIS_URL` is given outside production: data under
 * `<dataDir>/redis`, append-only file on (fsync every second), loopback only, on a free port.
 */
export async function startEmbeddedRedis(dataDir: string): Promise<RedisServer> {
  const dir = resolve(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  return startRedis({ dir, appendOnly: true, appendFsync: 'everysec' });
}

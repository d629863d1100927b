import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { type RedisServer, startRedis } from './redis-server.js';

/** What {@link ownRedisServer} gives a suite; read it inside hooks and tests, once the server runs. */
export interface OwnRedisServer {
  readonly server: RedisServer;
  /** The suite's client. */
  readonly redis: Redis;
  /** A second client, for INFO, CONFIG RESETSTAT and the like beside the client under test. */
  readonly probe: Redis;
}

/**
 * A redis-server of the suite's own (call it inside `describe`), started before the suite's other `beforeAll`
 * hooks with two clients, and stopped with its data removed after the suite: INFO commandstats then counts only
 * this suite's commands.
 */
export function ownRedisServer(): OwnRedisServer {
  let state: { server: RedisServer; redis: Redis; probe: Redis } | undefined;
  beforeAll(async () => {
    const server = await startRedis();
    state = { server, redis: new Redis(server.url), probe: new Redis(server.url) };
  });
  afterAll(async () => {
    if (!state) return;
    state.redis.disconnect();
    state.probe.disconnect();
    await state.server.stop({ removeData: true });
  });
  const get = () => {
    if (!state) throw new Error('ownRedisServer: read it inside a hook or a test');
    return state;
  };
  return {
    get server() {
      return get().server;
    },
    get redis() {
      return get().redis;
    },
    get probe() {
      return get().probe;
    },
  };
}

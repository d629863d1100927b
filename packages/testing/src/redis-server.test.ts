import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { pingRedis } from './redis-ping.js';
import { type RedisServer, spawnRedisProcess, startRedis } from './redis-server.js';

describe('startRedis', () => {
  const servers: RedisServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop({ removeData: true })));
  });

  it('provides a shared server to every test through inject()', async () => {
    const client = new Redis(inject('redisUrl'));
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
  });

  it('starts on a free loopback port and stops by PID', async () => {
    const server = await startRedis();
    servers.push(server);
    expect(server.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(await pingRedis(server.port)).toBe(true);
    const pid = server.pid;
    await server.stop();
    expect(server.running).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(await pingRedis(server.port)).toBe(false);
  });

  it('restarts on the same AOF directory and keeps the data', async () => {
    const server = await startRedis({ appendOnly: true, appendFsync: 'always' });
    servers.push(server);
    const client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    await client.xadd('s', '*', 'data', 'kept');
    client.disconnect();
    const firstPid = server.pid;
    await server.restart();
    expect(server.pid).not.toBe(firstPid);
    const again = new Redis(server.url);
    expect(await again.xlen('s')).toBe(1);
    again.disconnect();
  });

  it('without persistence a restart starts empty', async () => {
    const server = await startRedis();
    servers.push(server);
    const client = new Redis(server.url);
    await client.set('k', 'v');
    client.disconnect();
    await server.restart();
    const again = new Redis(server.url);
    expect(await again.exists('k')).toBe(0);
    again.disconnect();
  });

  it('never hands out another process’s server that took the port after the free-port probe', async () => {
    const squatter = await startRedis();
    servers.push(squatter);
    // Our redis-server cannot bind, but the squatter answers PING on the same port at once.
    await expect(
      spawnRedisProcess(squatter.port, [
        '--port',
        String(squatter.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
      ]),
    ).rejects.toThrow(/taken by another redis-server|exited/);
    expect(await pingRedis(squatter.port)).toBe(true);
  });
});

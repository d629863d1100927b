import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { redisCliBinary, redisServerBinary } from './redis-binaries.js';
import { startRedis } from './redis-server.js';

describe('server binaries from the environment', () => {
  const saved = process.env.REDIS_SERVER_BIN;
  const dirs: string[] = [];
  afterEach(() => {
    if (saved === undefined) delete process.env.REDIS_SERVER_BIN;
    else process.env.REDIS_SERVER_BIN = saved;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('defaults to redis-server and redis-cli, and takes REDIS_SERVER_BIN / REDIS_CLI_BIN when set', () => {
    expect(redisServerBinary({})).toBe('redis-server');
    expect(redisCliBinary({})).toBe('redis-cli');
    expect(redisServerBinary({ REDIS_SERVER_BIN: '' })).toBe('redis-server');
    expect(redisServerBinary({ REDIS_SERVER_BIN: '/opt/valkey/bin/valkey-server' })).toBe(
      '/opt/valkey/bin/valkey-server',
    );
    expect(redisCliBinary({ REDIS_CLI_BIN: 'valkey-cli' })).toBe('valkey-cli');
  });

  it('startRedis spawns the binary REDIS_SERVER_BIN names', async () => {
    // A wrapper that leaves a mark and then becomes the real server (same PID), so the test proves which binary ran.
    const dir = mkdtempSync(join(tmpdir(), 'chat-bin-'));
    dirs.push(dir);
    const wrapper = join(dir, 'other-server');
    const mark = join(dir, 'ran');
    writeFileSync(wrapper, `#!/bin/sh\necho "$$" > '${mark}'\nexec '${redisServerBinary()}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    process.env.REDIS_SERVER_BIN = wrapper;
    const server = await startRedis();
    try {
      expect(existsSync(mark)).toBe(true);
      expect(Number(readFileSync(mark, 'utf8'))).toBe(server.pid);
      const client = new Redis(server.url);
      expect(await client.ping()).toBe('PONG');
      client.disconnect();
    } finally {
      await server.stop({ removeData: true });
    }
  });

  it('names the missing binary and the variable when REDIS_SERVER_BIN points nowhere', async () => {
    process.env.REDIS_SERVER_BIN = '/nonexistent/valkey-server';
    await expect(startRedis({ port: 1 })).rejects.toThrow(
      'could not start /nonexistent/valkey-server from REDIS_SERVER_BIN',
    );
  });
});

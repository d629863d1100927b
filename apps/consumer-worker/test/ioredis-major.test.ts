import { createRequire } from 'node:module';
import { type RedisServer, startRedis } from '@chat/testing';
import { Redis } from 'ioredis';
import ioredisPackage from 'ioredis/package.json' with { type: 'json' };
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The ioredis matrix (`pnpm test:ioredis6`): with IOREDIS_MAJOR=6 every `import 'ioredis'` — in tests and in the
// packages' built dist/ — must load ioredis 6, or the second run of the suite proves nothing.
describe('the ioredis major under test', () => {
  const wanted = process.env.IOREDIS_MAJOR || '5';
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop({ removeData: true });
  });

  it(`loads ioredis ${wanted} in tests`, () => {
    expect(ioredisPackage.version.split('.')[0]).toBe(wanted);
  });

  it(`connections made by a package from a url speak ioredis ${wanted}'s protocol`, async () => {
    // Both packages are loaded from their built dist/, which imports ioredis itself.
    const { createPublisher } = await import('@chat/completion-publisher');
    const { createStreamRegistry } = await import('@chat/stream-registry');
    const registry = createStreamRegistry({ url: server.url });
    const publisher = createPublisher({ url: server.url });
    await publisher.publish({ operation_id: 'op-major', task_id: 't-major', success: true, result: null });
    await registry.getTask('t-major');
    const admin = new Redis(server.url, { protocol: 2 } as never);
    const adminId = await admin.client('ID');
    const clients = ((await admin.client('LIST')) as string)
      .trim()
      .split('\n')
      .filter((line) => !line.startsWith(`id=${adminId} `));
    await admin.quit();
    await Promise.all([publisher.close(), registry.close()]);
    // ioredis 6 says HELLO 3 on connect (RESP3); ioredis 5 stays on RESP2.
    const resp = clients.map((line) => /\bresp=(\d)/.exec(line)?.[1]);
    expect(resp.length).toBeGreaterThanOrEqual(2);
    expect(new Set(resp)).toEqual(new Set([wanted === '6' ? '3' : '2']));
  });

  it('leaves the workspace itself on ioredis 5 (the alias is the only switch)', () => {
    // Node's own resolution, which the alias does not touch.
    const require = createRequire(import.meta.url);
    expect(require('ioredis/package.json').version).toMatch(/^5\./);
  });
});

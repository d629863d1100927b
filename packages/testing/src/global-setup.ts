import type { TestProject } from 'vitest/node';
import { startRedis } from './redis-server.js';

import './provided-context.js';

/**
 * vitest globalSetup: one throwaway redis-server per test project, or the server in `REDIS_URL` when set.
 * Tests read it with `inject('redisUrl')`.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const external = process.env.REDIS_URL;
  if (external) {
    project.provide('redisUrl', external);
    return undefined;
  }
  const server = await startRedis();
  project.provide('redisUrl', server.url);
  return async () => {
    await server.stop({ removeData: true });
  };
}

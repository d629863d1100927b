import { silentLogger } from '@chat/completion-schema/internal';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import type { CompletionHookRegistry } from '../src/completion-hooks.js';
import { loadConfig } from '../src/config.js';
import { createWorker, type Worker } from '../src/worker.js';

// Apart from helpers.ts: the demo and other packages import that harness from source, outside vitest and without
// the `.lua` loader the worker's own source needs.

/**
 * Starts an in-process worker (no HTTP, silent) on `redis` with `hooks` before the suite's tests, and after them
 * closes it, then each of `closeAfter`, then `redis`.
 */
export function inProcessWorker(
  env: Record<string, string | undefined>,
  redis: Redis,
  hooks: CompletionHookRegistry,
  closeAfter: { close(): Promise<unknown> }[],
): void {
  let worker: Worker;
  beforeAll(async () => {
    worker = createWorker({
      config: loadConfig(env as NodeJS.ProcessEnv),
      redis,
      logger: silentLogger,
      http: false,
      hooks,
    });
    await worker.start();
  });
  afterAll(async () => {
    await worker.close();
    for (const resource of closeAfter) await resource.close();
    await redis.quit();
  });
}

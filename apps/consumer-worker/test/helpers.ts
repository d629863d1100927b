import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { uniquePrefix } from '@chat/testing';
import { spawnWorker, type WorkerProcess } from '../src/worker-process.js';

/** The built worker entry point; `npm test` builds it before the tests run. */
export const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** Environment for a worker isolated from other tests on a shared Redis: its own stream, group and key prefix. */
export function isolatedEnv(redisUrl: string, label: string, extra: Record<string, string | undefined> = {}) {
  const prefix = uniquePrefix(label);
  return {
    prefix,
    stream: `${prefix}completions`,
    keyPrefix: prefix,
    env: {
      REDIS_URL: redisUrl,
      NODE_ENV: 'test',
      COMPLETION_STREAM: `${prefix}completions`,
      KEY_PREFIX: prefix,
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      CLAIM_INTERVAL_MS: '200',
      RETRY_BASE_MS: '100',
      RETRY_MAX_MS: '300',
      ...extra,
    } as Record<string, string | undefined>,
  };
}

/** Starts the built worker and waits until it reports ready; returns its HTTP base URL too. */
export async function startWorkerProcess(env: Record<string, string | undefined>) {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build the worker first (pnpm build)`);
  const worker: WorkerProcess = spawnWorker(env, MAIN);
  const ready = await worker.waitForLog((line) => line.msg === 'consumer-worker ready', 30_000);
  return { worker, http: `http://127.0.0.1:${ready.httpPort}` };
}

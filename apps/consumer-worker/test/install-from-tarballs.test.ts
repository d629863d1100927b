import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  installScratchProject,
  type RedisCluster,
  runIn,
  type ScratchProject,
  startCluster,
  uniquePrefix,
} from '@chat/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const packagesDir = fileURLToPath(new URL('../../../packages/', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/**
 * An application as a user writes it: its own ioredis 6 `Redis` and `Cluster`, handed to the publisher, the
 * consumer and the registry. It must type-check (one ioredis copy: ours is a peer) and complete a task end to end.
 */
const APP_TS = `
import { Cluster, Redis } from 'ioredis';
import { createPublisher } from '@chat/completion-publisher';
import { createConsumer } from '@chat/completion-consumer';
import { createStreamRegistry } from '@chat/stream-registry';

async function roundTrip(redis: Redis | Cluster, prefix: string, keyLayout: 'compat' | 'cluster'): Promise<string> {
  const stream = \`{\${prefix}}completions\`;
  const registry = createStreamRegistry({ redis, keyLayout, keyPrefix: prefix });
  const publisher = createPublisher({ redis, stream });
  const taskId = \`\${prefix}task\`;
  await registry.createTask({
    taskId, sessionId: 's-1', userId: 'u-1', toolCallId: 'call-1', toolName: 'create_agent', operationId: \`\${prefix}op\`,
  });
  let settle!: (status: string) => void;
  const settled = new Promise<string>((resolve) => { settle = resolve; });
  const consumer = createConsumer({
    redis,
    stream,
    group: 'app',
    handler: async (message) => {
      await registry.completeTask(message.task_id, {
        status: 'completed',
        chunks: [{ type: 'tool-output-available', toolCallId: 'call-1', output: JSON.stringify(message.result) }],
        result: JSON.stringify(message.result),
      });
      settle((await registry.getTask(message.task_id))?.status ?? 'missing');
    },
  });
  await consumer.start();
  await publisher.publish({ operation_id: \`\${prefix}op\`, task_id: taskId, success: true, result: { ok: true } });
  const status = await settled;
  await consumer.close();
  await publisher.close();
  await registry.close();
  return status;
}

const [url, seedPort, prefix] = process.argv.slice(2) as [string, string, string];
const redis = new Redis(url);
const cluster = new Cluster([{ host: '127.0.0.1', port: Number(seedPort) }]);
const result = {
  redis: await roundTrip(redis, \`\${prefix}r:\`, 'compat'),
  cluster: await roundTrip(cluster, \`\${prefix}c:\`, 'cluster'),
};
await Promise.all([redis.quit(), cluster.quit()]);
process.stdout.write(JSON.stringify(result));
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    skipLibCheck: false,
    types: ['node'],
    outDir: 'out',
    // Emits only when the whole program type-checks: one tsc run is both `tsc --noEmit` and the build.
    noEmitOnError: true,
  },
  files: ['app.ts'],
};

describe('an application on ioredis 6 with the packed packages', () => {
  let project: ScratchProject;
  let cluster: RedisCluster;

  beforeAll(async () => {
    [project, cluster] = await Promise.all([
      Promise.resolve().then(() =>
        installScratchProject({
          name: 'chat-ioredis6-app',
          packageDirs: [
            'completion-schema',
            'completion-publisher',
            'completion-consumer',
            'stream-registry',
          ].map((name) => join(packagesDir, name)),
          fromRegistry: ['ioredis@6.0.0', 'zod@4.6.7', '@types/node@^20.19.0'],
        }),
      ),
      startCluster(),
    ]);
    writeFileSync(join(project.dir, 'app.ts'), APP_TS);
    writeFileSync(join(project.dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  }, 240_000);

  afterAll(async () => {
    project?.remove();
    await cluster?.stop();
  });

  it("has exactly one ioredis, the app's 6.0.0", () => {
    const listed = runIn(project.dir, 'npm', ['ls', 'ioredis', '--all', '--parseable', '--long']);
    const copies = listed
      .trim()
      .split('\n')
      .filter((line) => line.includes('node_modules/ioredis'));
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatch(/ioredis@6\.0\.0/);
  });

  it('type-checks with tsc (the app passes its own Redis and Cluster)', () => {
    // Throws with tsc's diagnostics (e.g. TS2322 from two ioredis copies) when it does not.
    runIn(project.dir, process.execPath, [tsc, '-p', '.']);
  }, 120_000);

  it('publishes, consumes and completes a task on a Redis and on a Cluster', () => {
    const out = runIn(project.dir, process.execPath, [
      'out/app.js',
      inject('redisUrl'),
      String(cluster.startupNodes[0]!.port),
      uniquePrefix('app6'),
    ]);
    expect(JSON.parse(out)).toEqual({ redis: 'completed', cluster: 'completed' });
  }, 120_000);
});

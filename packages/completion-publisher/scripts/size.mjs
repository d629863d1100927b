// The publisher's size budgets, measured as minified ESM with esbuild; exits non-zero when one is exceeded.
//   own code:  this package's src alone (ioredis, zod and the schema package left external);
//   producer:  a minimal producer (createPublisher, one publish) bundled as an application would ship it, with
//              everything bundled (the built schema package and zod included) except node builtins and ioredis.
// The schema package is read from its dist/, so build it first (the test command builds before it runs this).
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';

const require = createRequire(import.meta.url);
// esbuild comes with tsup; resolving it through tsup avoids a second copy in devDependencies.
const esbuild = createRequire(require.resolve('tsup'))('esbuild');

const entry = new URL('../src/index.ts', import.meta.url).pathname;
const common = {
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  write: false,
  loader: { '.lua': 'text' },
  metafile: true,
};

const PRODUCER = `import { createPublisher } from '@chat/completion-publisher';
const publisher = createPublisher({ url: process.env.REDIS_URL });
await publisher.publish({ operation_id: 'op-1', task_id: 'task-1', success: true, result: { ok: true } });
await publisher.close();
`;

const checks = [
  {
    name: 'own code',
    // 11 KiB: schema_version stamping, cycle/depth refusals and connection-error causes took 9.6 KiB past 10.
    // 12 KiB: the shared script layer (content-named commands, include expansion, key-count checks) and cluster
    // helpers of the bundled @chat/redis-kit took 11.6 KiB past 11.
    // 14 KiB: the `send <stream>` span (messaging attributes, error.type, batch count) and injection through the
    // registered propagator instead of a hand-formatted traceparent took 13.3 KiB past 12.
    budget: 14 * 1024,
    options: {
      entryPoints: [entry],
      external: ['ioredis', 'zod', '@chat/completion-schema', '@opentelemetry/api'],
    },
  },
  {
    name: 'minimal producer',
    // 52 KiB, measured 47.5 KiB: zod 31 KB of it (zod/mini's core, the checks this schema uses, its English
    // messages). With zod's classic import it was 460 KiB, 443 KiB of them zod.
    budget: 52 * 1024,
    options: {
      stdin: { contents: PRODUCER, resolveDir: new URL('.', import.meta.url).pathname, loader: 'js' },
      alias: { '@chat/completion-publisher': entry },
      // @opentelemetry/api is an optional peer a minimal producer does not install; its import is dynamic.
      external: ['ioredis', '@opentelemetry/api'],
    },
  },
];

for (const { name, budget, options } of checks) {
  const result = await esbuild.build({ ...common, ...options });
  const code = result.outputFiles[0].contents;
  const output = Object.values(result.metafile.outputs)[0];
  const zod = Object.entries(output.inputs)
    .filter(([path]) => path.includes('node_modules/zod/'))
    .reduce((sum, [, input]) => sum + input.bytesInOutput, 0);
  const verdict = code.length > budget ? 'OVER BUDGET' : 'ok';
  console.log(
    `@chat/completion-publisher ${name}: ${code.length} bytes minified ESM (${gzipSync(code).length} gzipped, ` +
      `zod ${zod}); budget ${budget} bytes: ${verdict}`,
  );
  if (code.length > budget) process.exitCode = 1;
}

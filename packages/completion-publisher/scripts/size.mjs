// Prints the minified ESM size of this package's own code (ioredis, zod and the schema package left external).
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';

const require = createRequire(import.meta.url);
// esbuild comes with tsup; resolving it through tsup avoids a second copy in devDependencies.
const esbuild = createRequire(require.resolve('tsup'))('esbuild');

const result = await esbuild.build({
  entryPoints: [new URL('../src/index.ts', import.meta.url).pathname],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  write: false,
  external: ['ioredis', 'zod', '@chat/completion-schema', '@opentelemetry/api'],
  loader: { '.lua': 'text' },
});
const code = result.outputFiles[0].contents;
// 11 KiB: schema_version stamping, cycle/depth refusals and connection-error causes took 9.6 KiB past 10.
// 12 KiB: the shared script layer (content-named commands, include expansion, key-count checks) and cluster
// helpers of the bundled @chat/redis-kit took 11.6 KiB past 11.
const budget = 12 * 1024;
console.log(
  `@chat/completion-publisher: ${code.length} bytes minified ESM (${gzipSync(code).length} gzipped), ` +
    `dependencies external; budget ${budget} bytes`,
);
if (code.length > budget) process.exitCode = 1;

import { defineConfig, type Options } from 'tsup';
import library from '../../tsup.library';

// The shared library build (dual ESM + CJS, types, embedded Lua, the ./internal entry), plus the `./prometheus` entry: it imports the
// optional peer prom-client, so it stays out of the root entry.
export default defineConfig({
  ...(library as Options),
  entry: ['src/index.ts', 'src/internal.ts', 'src/prometheus.ts'],
});

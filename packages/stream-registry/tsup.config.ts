// The shared library build (dual ESM + CJS, types, embedded Lua, the ./internal entry), plus the browser entry.
import { defineConfig } from 'tsup';
import library from '../../tsup.library';

export default defineConfig({
  ...library,
  entry: { index: 'src/index.ts', internal: 'src/internal.ts', browser: 'src/browser/index.ts' },
});

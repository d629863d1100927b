import { defineConfig } from 'tsup';

/** The build of every published package: dual ESM + CJS with type declarations, Lua scripts embedded as text. */
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  loader: { '.lua': 'text' },
});

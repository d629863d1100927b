import { defineConfig } from 'tsup';

/**
 * The build of every published package: dual ESM + CJS with type declarations, Lua scripts embedded as text, and
 * the private `@chat/redis-kit` bundled in (a devDependency, so users never install it). `src/internal.ts`, where a
 * package has one, is its `./internal` entry: what the other workspace packages import from it but users do not
 * (kept out of the root export).
 */
export default defineConfig({
  entry: ['src/{index,internal}.ts'],
  format: ['esm', 'cjs'],
  dts: { resolve: ['@chat/redis-kit'] },
  noExternal: ['@chat/redis-kit'],
  clean: true,
  sourcemap: true,
  target: 'node20',
  loader: { '.lua': 'text' },
});

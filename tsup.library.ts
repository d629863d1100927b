import { defineConfig } from 'tsup';

/**
 * The build of every published package: dual ESM + CJS with type declarations, Lua scripts embedded as text, and
 * the private `@chat/redis-kit` bundled in (a devDependency, so users never install it).
 */
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: { resolve: ['@chat/redis-kit'] },
  noExternal: ['@chat/redis-kit'],
  clean: true,
  sourcemap: true,
  target: 'node20',
  loader: { '.lua': 'text' },
});

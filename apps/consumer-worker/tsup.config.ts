import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/main.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  sourcemap: true,
  target: 'node20',
  // @chat/testing/redis-server (the embedded redis-server's launcher) ships TypeScript sources only, and
  // @chat/redis-kit is never installed: bundle both into the app.
  noExternal: ['@chat/testing', '@chat/redis-kit'],
  loader: { '.lua': 'text' },
});

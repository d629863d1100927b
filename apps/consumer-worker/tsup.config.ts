import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/main.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  sourcemap: true,
  target: 'node20',
  // The embedded redis-server's launcher comes from @chat/testing/redis-server, TypeScript sources only: bundle it.
  noExternal: ['@chat/testing'],
  loader: { '.lua': 'text' },
});

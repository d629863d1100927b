import { defineConfig } from 'tsup';

// Only the worker entry point with the poison hook is built: the fault tests spawn it as a real process.
export default defineConfig({
  entry: ['src/poison-worker.ts'],
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'node20',
});

import { defineConfig } from 'tsup';

// Plain JavaScript for the bench's processes, so a child's RSS is the consumer's and not a TypeScript loader's.
export default defineConfig({
  entry: ['src/cli.ts', 'src/child-main.ts'],
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'node20',
});

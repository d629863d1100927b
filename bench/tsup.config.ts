import { defineConfig } from 'tsup';

// Plain JavaScript for the bench's processes, so a child's RSS is the consumer's and not a TypeScript loader's.
export default defineConfig({
  entry: ['src/cli.ts', 'src/child-main.ts'],
  format: ['esm'],
  clean: true,
  sourcemap: true,
  target: 'node20',
  // The test helpers ship as TypeScript source; bundle them so the CLI runs on plain Node.
  noExternal: ['@chat/testing'],
});

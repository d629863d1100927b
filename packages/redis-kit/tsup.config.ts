import { defineConfig } from 'tsup';

/** ESM and types only: the published packages bundle this code (tsup `noExternal`), nobody installs it. */
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});

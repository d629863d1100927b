import { defineConfig } from 'tsup';

/**
 * ESM and types only: the published packages bundle this code (tsup `noExternal`), nobody installs it.
 * `./stream-id` is an entry of its own so a browser bundle can take the id helpers without the Node-only rest.
 */
export default defineConfig({
  entry: ['src/index.ts', 'src/stream-id.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});

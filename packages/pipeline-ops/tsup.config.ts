// The shared library build (dual ESM + CJS, types), plus the `chat-pipeline` CLI entry.
import { defineConfig } from 'tsup';
import library from '../../tsup.library';

export default defineConfig({
  ...library,
  entry: { index: 'src/index.ts', bin: 'src/bin.ts' },
});

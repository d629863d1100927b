import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chatTestProject } from '@chat/testing/vitest';

const require = createRequire(import.meta.url);

// The shared redis-server, plus the one check (and the one printed line when skipping) for Debian's python3.
export default chatTestProject('interop-tests', {
  extra: {
    globalSetup: [
      require.resolve('@chat/testing/global-setup'),
      fileURLToPath(new URL('./src/python-setup.ts', import.meta.url)),
    ],
  },
});

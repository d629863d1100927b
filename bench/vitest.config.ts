import { chatTestProject } from '@chat/testing/vitest';

export default chatTestProject('bench', { include: ['src/**/*.test.ts'], testTimeout: 90_000 });

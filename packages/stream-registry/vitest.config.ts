import { chatTestProject } from '@chat/testing/vitest';

export default chatTestProject('stream-registry', { include: ['src/**/*.test.ts', 'test/**/*.test.ts'] });

import { chatTestProject } from '@chat/testing/vitest';

export default chatTestProject('consumer-worker', { testTimeout: 60_000 });

import { chatTestProject } from '@chat/testing/vitest';

export default chatTestProject('completion-consumer', { testTimeout: 45_000 });

import { chatTestProject } from '@chat/testing/vitest';

export default chatTestProject('pipeline-ops');

import { chatTestProject } from '@chat/testing/vitest';

// These tests drive git and node only, so they skip the shared redis-server the other projects start.
export default chatTestProject('repo-checks', { extra: { globalSetup: [] } });

import { chatTestProject } from '@chat/testing/vitest';

// Full-size runs (FAULT_SCALE=full) hold the chaos test for minutes; the reduced default stays well under that.
export default chatTestProject('fault-tests', {
  testTimeout: process.env.FAULT_SCALE === 'full' ? 900_000 : 240_000,
});

import { chatTestProject } from './src/vitest-project.mjs';

export default chatTestProject('testing', { testTimeout: 60_000 });

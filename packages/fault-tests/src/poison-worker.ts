#!/usr/bin/env node
// The deployable worker plus one hook: `poison_tool` always throws a plain Error, so its completions are poison
// (retried, then dead-lettered `max_deliveries`). Startup, signals and exit codes are the real main's.
import { runWorkerMain } from '@chat/consumer-worker';
import { POISON_TOOL } from './workload.js';

await runWorkerMain({
  hooks: {
    [POISON_TOOL]: {
      async onSuccess() {
        throw new Error('poison_tool hook always fails');
      },
      async onFailure() {
        throw new Error('poison_tool hook always fails');
      },
    },
  },
});

#!/usr/bin/env node
// The deployable worker plus the chaos run's hooks. `poison_tool`'s transform always throws a plain Error, so its
// completions are poison (retried, then dead-lettered `max_deliveries`, the task left running). Every other
// tool's success streams a short continuation with a pause between chunks, so the kill loop's SIGKILLs land
// inside continuations too. Startup, signals and exit codes are the real main's.
import { setTimeout as delay } from 'node:timers/promises';
import { runWorkerMain } from '@chat/consumer-worker';
import { CONTINUATION_TEXT, POISON_TOOL } from './workload.js';

await runWorkerMain({
  hooks: {
    default: {
      async continue({ task, writer, signal }) {
        const id = `text-${task.taskId}`;
        await writer.write({ type: 'start-step' });
        await writer.write({ type: 'text-start', id });
        for (const delta of CONTINUATION_TEXT) {
          await delay(5, undefined, { signal });
          await writer.write({ type: 'text-delta', id, delta });
        }
        await writer.write({ type: 'text-end', id });
        await writer.write({ type: 'finish-step' });
      },
    },
    tools: {
      [POISON_TOOL]: {
        async transform() {
          throw new Error('poison_tool hook always fails');
        },
      },
    },
  },
});

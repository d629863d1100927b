import { spawnSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { PYTHON } from './python.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Why the interop tests cannot run here, or null when /usr/bin/python3 has redis and pydantic 1.x. */
    pythonSkipReason: string | null;
  }
}

/**
 * vitest globalSetup: checks once that Debian's python3 has redis and pydantic 1.x, and otherwise prints the one
 * line that says why every interop test is skipped.
 */
export default function setup(project: TestProject): void {
  const probe = spawnSync(
    PYTHON,
    ['-c', 'import redis, pydantic; assert pydantic.VERSION.startswith("1."), pydantic.VERSION'],
    { encoding: 'utf8' },
  );
  const detail = (probe.stderr || String(probe.error ?? '')).trim().split('\n').at(-1);
  const reason =
    probe.status === 0
      ? null
      : `[interop] skipped: ${PYTHON} lacks python3-redis or python3-pydantic 1.x (apt-get install python3-redis python3-pydantic): ${detail}`;
  if (reason) process.stdout.write(`${reason}\n`);
  project.provide('pythonSkipReason', reason);
}

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));

describe("the worker's dist/", () => {
  it('holds the service only: no demo, no test harness, no import of the private test package', () => {
    const files = readdirSync(dist);
    expect(files.filter((f) => /^(demo|worker-process|sse-client)\b/.test(f))).toEqual([]);
    for (const file of files.filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'))) {
      const text = readFileSync(`${dist}${file}`, 'utf8');
      expect(text, file).not.toMatch(/from ["']@chat\/testing/);
      // The harness and the test package's other helpers stay out, even bundled.
      for (const name of ['spawnWorker', 'readSSE', 'installScratchProject', 'startCluster'])
        expect(text, `${file} holds ${name}`).not.toContain(name);
    }
  });
});

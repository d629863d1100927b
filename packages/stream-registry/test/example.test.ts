import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { uniquePrefix } from '@chat/testing';
import { describe, expect, inject, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('examples/chat-api-server.ts', () => {
  it('runs as a script: creates a task, serves its SSE and prints the completed stream', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--import', '@chat/testing/register-lua', 'examples/chat-api-server.ts'],
      {
        cwd: packageDir,
        env: { ...process.env, REDIS_URL: inject('redisUrl'), KEY_PREFIX: uniquePrefix('example') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (part: Buffer) => {
      stdout += part.toString();
    });
    child.stderr.on('data', (part: Buffer) => {
      stderr += part.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('HTTP 200 text/event-stream');
    expect(stdout).toContain('"type":"tool-output-available"');
    expect(stdout).toContain('"agentId":"agent-42"');
    expect(stdout.trim().endsWith('data: [DONE]')).toBe(true);
  });
});

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built `chat-pipeline` entry (`bin` of the package); the tests run it as users do, as a child process. */
export const CLI_BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** What one CLI run printed and how it exited. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `chat-pipeline args…` with `env` as its whole environment (plus PATH), so nothing of the test runner's
 * environment leaks into the configuration it reads.
 */
export function runCliProcess(
  args: string[],
  env: Record<string, string>,
  options: { signalAfter?: (out: string) => boolean } = {},
): Promise<CliRun> & { child: ReturnType<typeof spawn> } {
  if (!existsSync(CLI_BIN))
    throw new Error(`${CLI_BIN} is missing: build the package first (pnpm exec turbo run build)`);
  const child = spawn(process.execPath, [CLI_BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (part: Buffer) => {
    stdout += part.toString();
    if (options.signalAfter?.(stdout)) child.kill('SIGINT');
  });
  child.stderr.on('data', (part: Buffer) => {
    stderr += part.toString();
  });
  const done = new Promise<CliRun>((resolve) => {
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  return Object.assign(done, { child });
}

/** `stdout` parsed as one JSON document. */
export function jsonOf<T = Record<string, unknown>>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}): ${run.stdout}\nstderr: ${run.stderr}`);
  }
}

/** Asserts the CLI failed the way users should see it: one line on stderr, no stack trace. */
export function oneLineReason(run: CliRun): string {
  const lines = run.stderr.trimEnd().split('\n');
  if (!lines[0]?.startsWith('chat-pipeline: ') || /\n\s+at /.test(run.stderr))
    throw new Error(`expected a one-line reason, got: ${run.stderr}`);
  return run.stderr.trimEnd();
}

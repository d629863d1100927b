import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ChildJob, ChildMessage } from './child-protocol.js';

const require = createRequire(import.meta.url);
/** Built (`dist/`): children run plain JavaScript. From source (tests): through tsx's loader, by absolute URL. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const CHILD_MAIN = fileURLToPath(
  new URL(FROM_SOURCE ? './child-main.ts' : './child-main.js', import.meta.url),
);
const EXEC_ARGV = FROM_SOURCE ? ['--import', pathToFileURL(require.resolve('tsx')).href] : [];

/** What a child reported: the scenario's outcome and its RSS (the `result` message without its tag). */
export type ChildReport = Omit<Extract<ChildMessage, { type: 'result' }>, 'type'>;

/** Progress of a running child, every 100 ms. */
export type ProgressListener = (done: number, total: number, rssBytes: number) => void;

/**
 * Runs one job in a fresh Node process (its own heap, JIT state and RSS), forwarding progress; rejects with the
 * child's error, or when it exits without a result or outlives `timeoutMs`. Aborting `stop` sends the child
 * `stop` (a job that runs until told, such as the chat API).
 */
export function runChild(
  job: ChildJob,
  onProgress: ProgressListener,
  timeoutMs: number,
  stop?: AbortSignal,
): Promise<ChildReport> {
  const child = fork(CHILD_MAIN, [], {
    execArgv: EXEC_ARGV,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise<ChildReport>((resolve, reject) => {
    let report: ChildReport | undefined;
    let failure: Error | undefined;
    const timer = setTimeout(() => {
      failure = new Error(`${job.kind} did not finish within ${Math.round(timeoutMs / 1000)} s`);
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'progress') onProgress(message.done, message.total, message.rssBytes);
      else if (message.type === 'result') {
        report = {
          outcome: message.outcome,
          rss: message.rss,
          ...(message.cpuMs === undefined ? {} : { cpuMs: message.cpuMs }),
        };
        // A child that leaves a handle open must not hold the run up once it has answered.
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      } else {
        failure = new Error(message.message);
        if (message.stack) failure.stack = message.stack;
      }
    });
    child.once('error', (error) => {
      failure ??= error;
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (report) return resolve(report);
      reject(failure ?? new Error(`${job.kind} child exited (${signal ?? code}) without a result`));
    });
    child.send({ type: 'run', job });
    stop?.addEventListener('abort', () => child.connected && child.send({ type: 'stop' }), { once: true });
  });
}

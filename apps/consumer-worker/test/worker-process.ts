import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** One parsed JSON log line of the worker (pino). */
export interface WorkerLogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A worker started as a real child process, with its log lines collected. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Every JSON log line so far, in order. */
  readonly logs: WorkerLogLine[];
  /** Raw stdout and stderr text so far (for checks such as "the password never appears"). */
  readonly output: () => string;
  /** Resolves with the first log line (past or future) matching `predicate`; rejects after `timeoutMs` or on exit. */
  waitForLog(predicate: (line: WorkerLogLine) => boolean, timeoutMs?: number): Promise<WorkerLogLine>;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | NodeJS.Signals>;
}

/** The built worker entry point (`pnpm build` writes it; the test command builds first). */
export const WORKER_MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/**
 * The built worker with a `persist` and a `continue` hook (`fixtures/phase-hooks-worker.mjs`): after each success it
 * streams `start-step`, `text-start`, two deltas (`Part one. `, `Part two.`), `text-end`, `finish-step`. With
 * `HANG=1`, tool `hang_persist` never ends its persist and `hang_continue` stops after its first delta.
 */
export const PHASE_HOOKS_WORKER = fileURLToPath(
  new URL('./fixtures/phase-hooks-worker.mjs', import.meta.url),
);

/**
 * Starts `dist/main.js` (the built worker) with `env` on top of the current environment (a key set to
 * `undefined` is removed), collecting its JSON log lines. Used by the demo and by the tests.
 */
export function spawnWorker(env: Record<string, string | undefined>, mainPath?: string): WorkerProcess {
  const script = mainPath ?? WORKER_MAIN;
  const merged: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete merged[key];
    else merged[key] = value;
  }
  const child = spawn(process.execPath, [script], { env: merged, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: WorkerLogLine[] = [];
  let raw = '';
  const waiters = new Set<{
    predicate: (line: WorkerLogLine) => boolean;
    resolve: (line: WorkerLogLine) => void;
  }>();
  createInterface({ input: child.stdout! }).on('line', (text) => {
    raw += `${text}\n`;
    let line: WorkerLogLine;
    try {
      line = JSON.parse(text) as WorkerLogLine;
    } catch {
      return;
    }
    logs.push(line);
    for (const waiter of waiters) {
      if (waiter.predicate(line)) {
        waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    raw += chunk.toString('utf8');
  });
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return {
    child,
    logs,
    output: () => raw,
    exited,
    waitForLog(predicate, timeoutMs = 20_000) {
      const seen = logs.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { predicate, resolve };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new Error(
              `worker did not log the expected line within ${timeoutMs} ms; output:\n${raw.slice(-4000)}`,
            ),
          );
        }, timeoutMs);
        waiter.resolve = (line) => {
          clearTimeout(timer);
          resolve(line);
        };
        waiters.add(waiter);
        void exited.then((code) => {
          if (!waiters.has(waiter)) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          reject(new Error(`worker exited (${code}) before the expected line; output:\n${raw.slice(-4000)}`));
        });
      });
    },
  };
}

/**
 * Starts the worker entry point at `mainPath` (the built `dist/main.js` by default, or any script that calls
 * `runWorkerMain`) and resolves once it logged `consumer-worker ready`, with its HTTP base URL.
 */
export async function startWorkerProcess(
  env: Record<string, string | undefined>,
  mainPath?: string,
  timeoutMs = 30_000,
): Promise<{ worker: WorkerProcess; http: string }> {
  const script = mainPath ?? WORKER_MAIN;
  if (!existsSync(script)) throw new Error(`${script} is missing: build it first (pnpm build)`);
  const worker = spawnWorker(env, script);
  const ready = await worker.waitForLog((line) => line.msg === 'consumer-worker ready', timeoutMs);
  return { worker, http: `http://127.0.0.1:${ready.httpPort}` };
}

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from './free-port.js';
import { redisServerBinary } from './redis-binaries.js';
import { redisProcessId, waitForRedis } from './redis-ping.js';

/** Arguments of a throwaway redis-server (cluster nodes, the TLS server): no snapshots, no AOF, warnings only. */
export const EPHEMERAL_REDIS_ARGS: readonly string[] = Object.freeze([
  '--save',
  '',
  '--appendonly',
  'no',
  '--loglevel',
  'warning',
]);

/** Options for {@link startRedis}. */
export interface StartRedisOptions {
  /** Port to bind on 127.0.0.1; a free one when absent. */
  port?: number;
  /** Data directory; a fresh temporary one when absent (removed by `stop({ removeData: true })`). */
  dir?: string;
  /** Turn on the append-only file in `dir`. @defaultValue false */
  appendOnly?: boolean;
  /** AOF fsync policy when `appendOnly` is on. @defaultValue 'everysec' */
  appendFsync?: 'always' | 'everysec' | 'no';
  /** Extra `--name value` arguments for the server. */
  args?: string[];
  /** How long to wait for the first PONG. @defaultValue 10000 */
  startTimeoutMs?: number;
}

/** A redis-server child process we own, stopped by PID. */
export interface RedisServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** PID of the current process (changes after {@link RedisServer.restart}). */
  readonly pid: number;
  readonly running: boolean;
  /** SIGTERM (SIGKILL after 5 s) and wait for exit. Idempotent. */
  stop(options?: { removeData?: boolean }): Promise<void>;
  /** SIGKILL at once, no shutdown save. */
  kill(): Promise<void>;
  /** Start again on the same port and data directory (for example to replay the AOF). */
  start(): Promise<void>;
  /** `stop()` then `start()`. */
  restart(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A crashed test run must not leave servers behind.
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Spawns the server binary ({@link redisServerBinary}: `redis-server` unless `REDIS_SERVER_BIN` names another) with
 * the given argument list and waits until it answers PING.
 */
export async function spawnRedisProcess(
  port: number,
  args: string[],
  timeoutMs = 10_000,
): Promise<ChildProcess> {
  installExitHook();
  const binary = redisServerBinary();
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    if (output.length < 20_000) output += chunk.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const spawnError = new Promise<never>((_, reject) => {
    child.once('error', (error) =>
      reject(
        new Error(
          binary === 'redis-server'
            ? `could not start redis-server (${error.message}); install Redis >= 7.0 (apt-get install redis-server)`
            : `could not start ${binary} from REDIS_SERVER_BIN (${error.message})`,
        ),
      ),
    );
    child.once('exit', (code) => reject(new Error(`${binary} on port ${port} exited (${code}):\n${output}`)));
  });
  spawnError.catch(() => {});
  live.add(child);
  child.once('exit', () => live.delete(child));
  try {
    await Promise.race([waitForRedis(port, '127.0.0.1', timeoutMs), spawnError]);
    // A PONG may come from another process's server that took the port after our probe (our child then exits on
    // the bind); a test must never share that server's keys.
    const pid = await redisProcessId(port);
    if (pid !== null && pid !== child.pid)
      throw new Error(`port ${port} is taken by another redis-server (pid ${pid})`);
  } catch (error) {
    // Never leave a server behind that the caller has no handle to stop.
    child.kill('SIGKILL');
    throw error;
  }
  return child;
}

/**
 * Starts a throwaway redis-server on a free loopback port, without persistence unless asked.
 * Works from vitest globalSetup and from plain scripts.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'chat-redis-'));
  let port = options.port ?? (await getFreePort());
  const argsFor = (p: number) => [
    '--port',
    String(p),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.appendOnly ? 'yes' : 'no',
    '--appendfsync',
    options.appendFsync ?? 'everysec',
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
    ...(options.args ?? []),
  ];

  let child: ChildProcess | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      child = await spawnRedisProcess(port, argsFor(port), options.startTimeoutMs);
      break;
    } catch (error) {
      // The free port may have been taken between the probe and the bind.
      if (options.port !== undefined || attempt >= 3) throw error;
      port = await getFreePort();
    }
  }

  const stopChild = async (signal: NodeJS.Signals) => {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    current.kill(signal);
    if (!(await waitForExit(current, 5_000))) {
      current.kill('SIGKILL');
      await waitForExit(current, 5_000);
    }
  };

  const server: RedisServer = {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    get url() {
      return `redis://127.0.0.1:${port}`;
    },
    dir,
    get pid() {
      return child?.pid ?? -1;
    },
    get running() {
      return !!child && child.exitCode === null && child.signalCode === null;
    },
    async stop(stopOptions = {}) {
      await stopChild('SIGTERM');
      if (stopOptions.removeData && options.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      await stopChild('SIGKILL');
    },
    async start() {
      if (server.running) return;
      child = await spawnRedisProcess(port, argsFor(port), options.startTimeoutMs);
    },
    async restart() {
      await server.stop();
      await server.start();
    },
  };
  return server;
}

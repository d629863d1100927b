import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EPHEMERAL_REDIS_ARGS, getFreePort, redisServerBinary } from '@chat/testing';
import { Redis } from 'ioredis';

/** A TLS-only redis-server with a throwaway CA; `url` is `rediss://`. */
export interface TlsRedis {
  readonly url: string;
  readonly port: number;
  /** PEM file of the CA that signed the server certificate. */
  readonly caFile: string;
  readonly ca: Buffer;
  stop(): Promise<void>;
}

/** True when this redis-server was built with TLS (it accepts `--tls-port`). */
export function redisHasTls(): boolean {
  try {
    const out = execFileSync(
      redisServerBinary(),
      ['--tls-port', '0', '--port', '0', '--loglevel', 'warning'],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 5_000,
      },
    );
    return !/tls.*not (supported|built)|Bad directive/i.test(out);
  } catch (error) {
    const output =
      String((error as { stdout?: string }).stdout ?? '') +
      String((error as { stderr?: string }).stderr ?? '');
    // "Configured to not listen anywhere" means the directive was understood: TLS is compiled in.
    return output.includes('not listen anywhere');
  }
}

/**
 * Makes a CA and a server certificate for 127.0.0.1/localhost with openssl in a temporary directory, then starts
 * redis-server with `--port 0 --tls-port <free>` (no plaintext port) and waits until a TLS client gets PONG.
 */
export async function startTlsRedis(): Promise<TlsRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'chat-tls-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '1',
    '-subj',
    '/CN=chat-test-ca',
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=localhost',
  );
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '1',
    '-extfile',
    'san.ext',
  );
  const caFile = join(dir, 'ca.crt');
  const ca = readFileSync(caFile);
  // The free port may be taken between the probe and redis-server's bind: then it exits, and we try another.
  for (let attempt = 0; ; attempt++) {
    const port = await getFreePort();
    const child = spawnTlsServer(dir, port);
    const url = `rediss://127.0.0.1:${port}`;
    if (await answersOverTls(url, ca, child)) return handle(url, port, caFile, ca, child, dir);
    const exited = child.exitCode !== null || child.signalCode !== null;
    child.kill('SIGKILL');
    if (!exited || attempt >= 3) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`TLS redis-server on port ${port} did not answer within 10 s`);
    }
  }
}

function spawnTlsServer(dir: string, port: number): ChildProcess {
  return spawn(
    redisServerBinary(),
    [
      '--port',
      '0',
      '--tls-port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--tls-cert-file',
      join(dir, 'server.crt'),
      '--tls-key-file',
      join(dir, 'server.key'),
      '--tls-ca-cert-file',
      join(dir, 'ca.crt'),
      '--tls-auth-clients',
      'no',
      '--dir',
      dir,
      ...EPHEMERAL_REDIS_ARGS,
    ],
    { stdio: 'ignore' },
  );
}

/** Polls until a client trusting `ca` gets PONG (true), or the server exits or 10 s pass (false). */
async function answersOverTls(url: string, ca: Buffer, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis(url, {
      tls: { ca },
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      lazyConnect: true,
    });
    probe.on('error', () => {});
    const ok = await probe
      .connect()
      .then(() => probe.ping())
      .then(
        () => true,
        () => false,
      );
    probe.disconnect();
    if (ok) return true;
    if (Date.now() > deadline || child.exitCode !== null || child.signalCode !== null) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function handle(
  url: string,
  port: number,
  caFile: string,
  ca: Buffer,
  child: ChildProcess,
  dir: string,
): TlsRedis {
  return {
    url,
    port,
    caFile,
    ca,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

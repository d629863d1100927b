import { connect } from 'node:net';

/**
 * Sends one inline PING over a raw socket; resolves true when the server answers (`+PONG`, or `-NOAUTH` from a
 * server that requires a password). Avoids a client library's reconnect noise.
 */
export function pingRedis(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG') || answer.startsWith('-NOAUTH'));
    });
  });
}

/** Polls {@link pingRedis} until it answers or `timeoutMs` passes. */
export async function waitForRedis(port: number, host = '127.0.0.1', timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await pingRedis(port, host)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`redis-server on ${host}:${port} did not answer PING within ${timeoutMs} ms`);
}

/**
 * The `process_id` of the redis-server answering on `port` (from `INFO server` over a raw socket), or null when
 * it cannot tell (no answer, or a password required). Tells our own child apart from another process's server
 * that took the port between our free-port probe and the bind.
 */
export function redisProcessId(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<number | null> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    let answer = '';
    const done = (pid: number | null) => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(timeoutMs, () => done(null));
    socket.once('error', () => done(null));
    socket.once('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
      if (answer.startsWith('-')) return done(null);
      const pid = /\r\nprocess_id:(\d+)\r\n/.exec(answer);
      if (pid) done(Number(pid[1]));
    });
  });
}

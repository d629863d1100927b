import type { Redis } from 'ioredis';

/** Reads one entry's raw `data` value, as a consumer would see it on the wire. */
export async function readData(redis: Redis, stream: string, id: string): Promise<string> {
  const entries = (await redis.xrange(stream, id, id)) as [string, string[]][];
  const fields = entries[0]?.[1] ?? [];
  const at = fields.indexOf('data');
  if (at === -1) throw new Error(`entry ${id} of ${stream} has no data field`);
  return fields[at + 1]!;
}

/**
 * Runs `work` while watching the client's socket: how many times it wrote, and whether any write came after
 * the first reply bytes arrived. One write and no write after a reply is one network round trip.
 */
export async function watchSocket<T>(
  redis: Redis,
  work: () => Promise<T>,
): Promise<{ result: T; writes: number; writesAfterFirstReply: number }> {
  const socket = redis.stream;
  const originalWrite = socket.write;
  let writes = 0;
  let replied = false;
  let writesAfterFirstReply = 0;
  socket.write = function (this: typeof socket, ...args: Parameters<typeof socket.write>) {
    writes++;
    if (replied) writesAfterFirstReply++;
    return originalWrite.apply(this, args);
  } as typeof socket.write;
  const onData = () => {
    replied = true;
  };
  socket.on('data', onData);
  try {
    const result = await work();
    return { result, writes, writesAfterFirstReply };
  } finally {
    socket.write = originalWrite;
    socket.off('data', onData);
  }
}

/** Resolves with what `promise` settles to, or with 'hung' after `ms`: a guard against hangs, not a speed test. */
export function settleWithin<T>(
  promise: Promise<T>,
  ms: number,
): Promise<{ value: T } | { error: unknown } | 'hung'> {
  return Promise.race([
    promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), ms)),
  ]);
}

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { uniquePrefix, waitFor } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BlockingReader, OverdueReadError, ReaderClosedError } from './blocking-reader.js';
import type { RedisClient } from './cluster.js';

let admin: Redis;
const readers: BlockingReader[] = [];

beforeAll(() => {
  admin = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  for (const reader of readers) reader.close();
  await admin.quit();
});

function reader(
  blockMs: number,
  extra: { unblock?: boolean; overdue?: (ms: number) => Error; name?: string } = {},
) {
  const created = new BlockingReader({
    connect: () => admin.duplicate({ maxRetriesPerRequest: null, connectionName: extra.name }),
    blockMs,
    unblockVia: extra.unblock === false ? undefined : () => admin,
    onConnectionError: () => {},
    overdueError: extra.overdue,
  });
  readers.push(created);
  return created;
}

/** XREAD BLOCK on a stream nobody writes: returns null only when BLOCK ends or the call is unblocked. */
const blockOn = (stream: string, blockMs: number) => (conn: RedisClient) =>
  conn.xread('BLOCK', blockMs, 'STREAMS', stream, '$');

describe('BlockingReader', () => {
  it('unblock ends a blocked read at once, delivering nothing', async () => {
    const stream = `${uniquePrefix('kit-unblock')}s`;
    // BLOCK far beyond the test timeout: the read can only end through CLIENT UNBLOCK.
    const r = reader(600_000);
    const read = r.read(blockOn(stream, 600_000));
    await waitFor(() => r.blocked, 20_000, 'the read to block');
    await waitFor(async () => {
      await r.unblock();
      return Promise.race([read.then(() => true), new Promise((resolve) => setTimeout(resolve, 50, false))]);
    });
    expect(await read).toBeNull();
    expect(r.blocked).toBe(false);
  });

  it('re-learns its CLIENT ID after its connection is killed', async () => {
    const stream = `${uniquePrefix('kit-rekill')}s`;
    const name = `kit-reader-${process.pid}-${Date.now()}`;
    // Watchdog at 4 s: a read the old id cannot wake ends there, with an error, instead of returning null.
    const r = reader(2_000, { name });
    const first = r.read(blockOn(stream, 2_000));
    await waitFor(() => r.blocked, 20_000, 'the read to block');
    const list = (await admin.client('LIST')) as string;
    const id = Number(new RegExp(`id=(\\d+) [^\\n]*name=${name} `).exec(list)?.[1]);
    expect(id).toBeGreaterThan(0);
    await admin.client('KILL', 'ID', id);
    // ioredis may re-send the read on its new socket (it then ends with its BLOCK) or fail it; either way it ends.
    await first.catch(() => null);
    const second = r.read(blockOn(stream, 600_000));
    await waitFor(() => r.blocked, 20_000, 'the second read to block');
    await waitFor(async () => {
      await r.unblock();
      const ended = second.then(
        () => true,
        () => true,
      );
      return Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 50, false))]);
    });
    expect(await second).toBeNull();
  });

  it('a call that outlives BLOCK plus slack rejects, and the next call gets a fresh connection', async () => {
    const stream = `${uniquePrefix('kit-watchdog')}s`;
    const r = reader(100, { unblock: false });
    expect(r.watchdogMs).toBe(1_100);
    let firstConn: RedisClient | undefined;
    // A call that blocks far longer than the BLOCK the reader was promised: what a half-open socket looks like.
    const stuck = r.read((conn) => {
      firstConn = conn;
      return blockOn(stream, 600_000)(conn);
    });
    await expect(stuck).rejects.toBeInstanceOf(OverdueReadError);
    await expect(stuck).rejects.toSatisfy((e) => OverdueReadError.isInstance(e) && e.code === 'read_overdue');
    await expect(stuck).rejects.toThrow('did not return within 1100 ms');
    let secondConn: RedisClient | undefined;
    expect(
      await r.read((conn) => {
        secondConn = conn;
        return blockOn(stream, 100)(conn);
      }),
    ).toBeNull();
    expect(secondConn).toBeDefined();
    expect(secondConn).not.toBe(firstConn);
    expect(firstConn?.status).toBe('end');
  });

  it('rejects an overdue call with the error its owner chose', async () => {
    class Mine extends Error {}
    const r = reader(50, { unblock: false, overdue: (ms) => new Mine(`overdue after ${ms}`) });
    const stuck = r.read(blockOn(`${uniquePrefix('kit-own-error')}s`, 600_000));
    await expect(stuck).rejects.toBeInstanceOf(Mine);
    await expect(stuck).rejects.toThrow('overdue after 1050');
  });

  it('close cuts a call in flight and refuses later ones', async () => {
    const r = reader(600_000);
    const read = r.read(blockOn(`${uniquePrefix('kit-close')}s`, 600_000));
    await waitFor(() => r.blocked, 20_000, 'the read to block');
    r.close();
    r.close();
    await expect(read).rejects.toBeInstanceOf(ReaderClosedError);
    await expect(read).rejects.toSatisfy(
      (e) => ReaderClosedError.isInstance(e) && e.code === 'reader_closed',
    );
    await expect(r.read(async () => 1)).rejects.toBeInstanceOf(ReaderClosedError);
  });

  it('keeps nothing of a finished read: no result stays reachable through the reader', async () => {
    // A full collection on demand: a context created after this flag has `gc`.
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as () => void;
    const stream = `${uniquePrefix('kit-retain')}s`;
    await admin.xadd(stream, '*', 'payload', 'x'.repeat(100));
    const r = reader(200);
    // In a function of its own, so no frame of this test holds the last result.
    const readAll = async (times: number) => {
      const refs: WeakRef<object>[] = [];
      for (let i = 0; i < times; i++) {
        const entries = await r.read((conn) => conn.xrange(stream, '-', '+'), { blocking: false });
        expect(entries).toHaveLength(1);
        refs.push(new WeakRef(entries));
      }
      return refs;
    };
    const results = await readAll(50);
    // WeakRefs read in a job keep their targets for that job: collect from a later macrotask.
    await new Promise((resolve) => setImmediate(resolve));
    collect();
    await new Promise((resolve) => setImmediate(resolve));
    // The reader is open and used: before the fix, each read left a reaction on a promise that lived as long as
    // the reader, holding that read's result, so every one of these was still reachable.
    // At most the newest result may still sit in a client buffer for a moment; the leak kept all 50.
    expect(results.filter((ref) => ref.deref() !== undefined).length).toBeLessThanOrEqual(1);
    expect(await r.read(async () => 'still reads', { blocking: false })).toBe('still reads');
  });

  it('a reader without a way to unblock ignores unblock()', async () => {
    const r = reader(200, { unblock: false });
    const read = r.read(blockOn(`${uniquePrefix('kit-no-unblock')}s`, 200));
    await waitFor(() => r.blocked, 20_000, 'the read to block');
    await r.unblock();
    expect(await read).toBeNull();
  });
});

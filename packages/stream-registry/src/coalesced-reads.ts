import type { Cluster, Redis } from 'ioredis';
import { compareStreamIds } from './stream-id.js';

/** One XRANGE page as Redis returns it: `[id, fields]` per entry. */
export type RawPage = [string, string[]][];

/** What a subscription's checks read in one round trip: the task hash and `XINFO STREAM` (null: no stream). */
export type SubscribeFacts = [hash: Record<string, string>, info: unknown];

interface Batch<A, V> {
  arg: A;
  promise: Promise<V>;
  resolve: (value: V) => void;
  reject: (error: unknown) => void;
}

/**
 * Sends reads of the same key once for everyone who asks at about the same time. A read in flight is never
 * joined (its reply may predate the caller's request); callers that arrive meanwhile form the next batch, sent the
 * moment the read in flight answers, with their arguments merged. An idle registry therefore adds no delay, and a
 * busy one batches as much as its load brings: a reconnect storm of N browsers on one task costs a few reads of
 * it, not N.
 */
export class ReadCoalescer<A, V> {
  private readonly waiting = new Map<string, Batch<A, V> | null>();

  constructor(
    private readonly fetch: (arg: A) => Promise<V>,
    private readonly merge: (queued: A, incoming: A) => A,
  ) {}

  /** Reads `key` with `arg`, or with `arg` merged into the next batch's when a read of `key` is in flight. */
  read(key: string, arg: A): Promise<V> {
    if (!this.waiting.has(key)) {
      this.waiting.set(key, null);
      return this.send(key, arg);
    }
    const queued = this.waiting.get(key);
    if (queued) {
      queued.arg = this.merge(queued.arg, arg);
      return queued.promise;
    }
    let resolve: (value: V) => void = () => {};
    let reject: (error: unknown) => void = () => {};
    const promise = new Promise<V>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.waiting.set(key, { arg, promise, resolve, reject });
    return promise;
  }

  private send(key: string, arg: A): Promise<V> {
    const sent = this.fetch(arg);
    const next = () => {
      const batch = this.waiting.get(key);
      if (!batch) {
        this.waiting.delete(key);
        return;
      }
      this.waiting.set(key, null);
      this.send(key, batch.arg).then(batch.resolve, batch.reject);
    };
    sent.then(next, next);
    return sent;
  }
}

interface PageRequest {
  streamKey: string;
  /** Exclusive start: the caller has seen everything up to it. */
  after: string;
  to: string;
  count: number;
}

/**
 * The reads every subscription starts with, coalesced per key: the checks (HGETALL of the task and XINFO STREAM
 * of its chunks) and replay pages. Subscribers of one task asking together share one page read from the oldest
 * cursor among them; each skips what it has already seen, so a page holds, for every one of them, everything after
 * its own cursor up to the page's last id, and "fewer than COUNT" still means the end of the stream for all.
 */
export class SubscribeReads {
  private readonly pages: ReadCoalescer<PageRequest, RawPage>;
  private readonly checks: ReadCoalescer<{ metaKey: string; streamKey: string }, SubscribeFacts>;

  constructor(redis: Redis | Cluster) {
    this.pages = new ReadCoalescer(
      (r) => redis.xrange(r.streamKey, `(${r.after}`, r.to, 'COUNT', r.count) as Promise<RawPage>,
      (queued, incoming) =>
        compareStreamIds(incoming.after, queued.after) < 0 ? { ...queued, after: incoming.after } : queued,
    );
    this.checks = new ReadCoalescer(
      async ({ metaKey, streamKey }) =>
        Promise.all([
          redis.hgetall(metaKey),
          redis.xinfo('STREAM', streamKey).catch((error: unknown) => {
            if (error instanceof Error && /no such key/i.test(error.message)) return null;
            throw error;
          }),
        ]),
      (queued) => queued,
    );
  }

  /** Up to `count` entries of `streamKey` after `after` (exclusive) up to `to`, possibly from an older cursor. */
  page(streamKey: string, after: string, to: string, count: number): Promise<RawPage> {
    return this.pages.read(`${streamKey}\n${to}\n${count}`, { streamKey, after, to, count });
  }

  /** The task hash and the chunk stream's XINFO (null when the stream does not exist), read after this call. */
  facts(metaKey: string, streamKey: string): Promise<SubscribeFacts> {
    return this.checks.read(metaKey, { metaKey, streamKey });
  }
}

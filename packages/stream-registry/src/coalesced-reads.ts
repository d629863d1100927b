import { compareStreamIds, isCluster, TickBatcher } from '@chat/redis-kit';
import type { Cluster, Redis } from 'ioredis';
import { parseEntry, type StreamEntry } from './stream-entry.js';

/** One XRANGE page as Redis returns it: `[id, fields]` per entry. */
export type RawPage = [string, string[]][];

const parsedPages = new WeakMap<RawPage, (StreamEntry | undefined)[]>();

/**
 * A page's entries, parsed once however many subscribers replay it (a storm's shared pages would otherwise be
 * parsed once per subscriber); undefined where an entry has no valid `data`. Entries are shared: read-only.
 */
export function entriesOf(page: RawPage): (StreamEntry | undefined)[] {
  let entries = parsedPages.get(page);
  if (!entries) {
    entries = page.map(([id, fields]) => parseEntry(id, fields));
    parsedPages.set(page, entries);
  }
  return entries;
}

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

/** A read one subscription asks for: its checks, or a replay page. */
type TurnRead = { kind: 'checks'; metaKey: string; streamKey: string } | { kind: 'page'; page: PageRequest };

/** Reads sent in one pipeline at most (more in one turn make more pipelines). */
const MAX_PIPELINED_READS = 500;

/**
 * The reads of one turn of the event loop in one pipeline (a {@link TickBatcher} batch): one socket write for the
 * checks and pages of every subscriber that asked in that turn (a storm's thousands of reconnects arrive in a few
 * turns, and each write is a system call), instead of one per command. Redis runs them in the order asked, on the
 * one connection, as if sent one by one; a failed command fails only its own read.
 */
async function pipelineReads(redis: Redis, reads: readonly TurnRead[]): Promise<(unknown | Error)[]> {
  const pipeline = redis.pipeline();
  for (const read of reads) {
    if (read.kind === 'checks') pipeline.hgetall(read.metaKey).xinfo('STREAM', read.streamKey);
    else {
      const r = read.page;
      pipeline.xrange(r.streamKey, `(${r.after}`, r.to, 'COUNT', r.count);
    }
  }
  const replies = (await pipeline.exec()) as [Error | null, unknown][] | null;
  if (!replies) throw new Error('the pipeline was discarded');
  let at = 0;
  return reads.map((read) => {
    // Each read's replies are taken before any is looked at, so a failed one never shifts the next read's.
    const first = replies[at++]!;
    const info = read.kind === 'checks' ? replies[at++]! : undefined;
    try {
      if (!info) return replyOf<RawPage>(first);
      const hash = replyOf<Record<string, string>>(first);
      return [hash, info[0] && isNoSuchKey(info[0]) ? null : replyOf(info)] satisfies SubscribeFacts;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  });
}

/** The reply of a pipelined command: its error thrown, as a command sent alone would reject. */
function replyOf<V>([error, reply]: [Error | null, unknown]): V {
  if (error) throw error;
  return reply as V;
}

function isNoSuchKey(error: unknown): boolean {
  return error instanceof Error && /no such key/i.test(error.message);
}

interface PageRequest {
  streamKey: string;
  /** Exclusive start: the caller has seen everything up to it. */
  after: string;
  to: string;
  count: number;
}

/** A read's result and when it was sent (`performance.now()`): what may reuse it depends on both. */
export interface Timed<V> {
  readAt: number;
  value: V;
}

/** A replay page kept for reuse: where it started and what it returned. */
interface KeptPage {
  readAt: number;
  after: string;
  page: RawPage;
}

/**
 * How long replay pages read from the head (`to` = `+`) are reused by later subscribers of the same stream, in ms.
 * A reconnect storm spreads one task's browsers over seconds, so in-flight sharing alone rarely catches them.
 * Reuse is safe because a subscription treats a replay as a prefix: what was written after the page was read comes
 * through the live tail (or its gap read, which is never reused). The checks are never reused (an expired task or
 * a trimmed cursor is seen at once), and a subscriber whose checks found the task finished takes only a page read
 * after them, which therefore holds the `finish`.
 */
export const REPLAY_REUSE_MS = 2_000;

/** Pages kept per stream for reuse (different cursors, different pages). */
const KEPT_PAGES_PER_STREAM = 4;

/**
 * The reads every subscription starts with, shared per key: the checks (HGETALL of the task and XINFO STREAM
 * of its chunks) and replay pages. Subscribers of one task asking together share one page read from the oldest
 * cursor among them; each skips what it has already seen, so a page holds, for every one of them, everything after
 * its own cursor up to the page's last id, and "fewer than COUNT" still means the end of the stream for all. A
 * head page is reused for {@link REPLAY_REUSE_MS} (see there why that is safe).
 */
export class SubscribeReads {
  private readonly pages: ReadCoalescer<PageRequest, Timed<RawPage>>;
  private readonly checks: ReadCoalescer<{ metaKey: string; streamKey: string }, Timed<SubscribeFacts>>;
  private readonly keptPages = new Map<string, KeptPage[]>();
  private sweptAt = 0;

  constructor(
    redis: Redis | Cluster,
    private readonly reuseMs = REPLAY_REUSE_MS,
  ) {
    // On a single server every read of a turn goes in one pipeline. A cluster's pipeline must stay within one slot,
    // so there each read is sent by itself, as before.
    const turn = isCluster(redis)
      ? undefined
      : new TickBatcher<TurnRead, unknown>((reads) => pipelineReads(redis, reads), MAX_PIPELINED_READS);
    const xrange = (r: PageRequest): Promise<RawPage> =>
      turn
        ? (turn.add({ kind: 'page', page: r }) as Promise<RawPage>)
        : (redis.xrange(r.streamKey, `(${r.after}`, r.to, 'COUNT', r.count) as Promise<RawPage>);
    const checks = ({
      metaKey,
      streamKey,
    }: {
      metaKey: string;
      streamKey: string;
    }): Promise<SubscribeFacts> =>
      turn
        ? (turn.add({ kind: 'checks', metaKey, streamKey }) as Promise<SubscribeFacts>)
        : Promise.all([
            redis.hgetall(metaKey),
            redis.xinfo('STREAM', streamKey).catch((error: unknown) => {
              if (isNoSuchKey(error)) return null;
              throw error;
            }),
          ]);
    this.pages = new ReadCoalescer(
      (r) => {
        const readAt = performance.now();
        return xrange(r).then((value) => ({ readAt, value }));
      },
      (queued, incoming) =>
        compareStreamIds(incoming.after, queued.after) < 0 ? { ...queued, after: incoming.after } : queued,
    );
    this.checks = new ReadCoalescer(
      async (keys) => {
        const readAt = performance.now();
        return { readAt, value: await checks(keys) };
      },
      (queued) => queued,
    );
  }

  /**
   * Up to `count` entries of `streamKey` after `after` (exclusive) up to `to`, possibly from an older cursor. A
   * head page (`to` = `+`) read at or after `notBefore` within the reuse window may be reused; without
   * `notBefore`, none is.
   */
  async page(
    streamKey: string,
    after: string,
    to: string,
    count: number,
    notBefore?: number,
  ): Promise<RawPage> {
    const keptKey = `${streamKey}\n${count}`;
    if (to === '+' && notBefore !== undefined) {
      const kept = this.reusablePage(keptKey, after, count, notBefore);
      if (kept) return kept;
    }
    const read = await this.pages.read(`${streamKey}\n${to}\n${count}`, { streamKey, after, to, count });
    if (to === '+') {
      const list = this.keptPages.get(keptKey) ?? [];
      list.push({ readAt: read.readAt, after, page: read.value });
      if (list.length > KEPT_PAGES_PER_STREAM) list.shift();
      this.keptPages.set(keptKey, list);
      this.sweep();
    }
    return read.value;
  }

  /**
   * The task hash and the chunk stream's XINFO (null when the stream does not exist), and when they were read;
   * read after this call (shared only with callers who asked while the previous read was in flight).
   */
  facts(metaKey: string, streamKey: string): Promise<Timed<SubscribeFacts>> {
    return this.checks.read(metaKey, { metaKey, streamKey });
  }

  /** A kept page that starts at or before `after` and reaches past it (or the end), read at or after `notBefore`. */
  private reusablePage(key: string, after: string, count: number, notBefore: number): RawPage | undefined {
    const now = performance.now();
    let best: KeptPage | undefined;
    for (const kept of this.keptPages.get(key) ?? []) {
      if (kept.readAt < notBefore || now - kept.readAt > this.reuseMs) continue;
      if (compareStreamIds(kept.after, after) > 0) continue;
      const last = kept.page.at(-1)?.[0];
      const covers = kept.page.length < count || (last !== undefined && compareStreamIds(last, after) > 0);
      if (covers && (!best || compareStreamIds(kept.after, best.after) > 0)) best = kept;
    }
    return best?.page;
  }

  /** Drops what is past the reuse window, at most once per window. */
  private sweep(): void {
    const now = performance.now();
    if (now - this.sweptAt < this.reuseMs) return;
    this.sweptAt = now;
    for (const [key, list] of this.keptPages) {
      const fresh = list.filter((kept) => now - kept.readAt <= this.reuseMs);
      if (fresh.length) this.keptPages.set(key, fresh);
      else this.keptPages.delete(key);
    }
  }
}

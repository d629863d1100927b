import type { Logger } from '@chat/completion-schema';
import { BlockingReader, compareStreamIds, OverdueReadError } from '@chat/redis-kit';
import type { Redis } from 'ioredis';
import type { LiveSink } from './live-sink.js';
import { parseEntry } from './stream-entry.js';

/** One live-tailed chunk stream: where the reader is, and who listens. */
export interface TailedStream {
  /** Last id the reader has fanned out; the next XREAD asks for entries after it. */
  lastId: string;
  sinks: Set<LiveSink>;
}

/** What subscriptions need from a live reader: the single-server one or the per-node cluster one. */
export interface LiveReader {
  /** See {@link SharedStreamReader.add}. */
  add(key: string, sink: LiveSink, seenId: string): string;
  /** See {@link SharedStreamReader.remove}. */
  remove(key: string, sink: LiveSink): void;
  /** Live subscribers across all tailed streams. */
  readonly sinkCount: number;
  /** Stops reading and ends every sink with `closed`. Idempotent. */
  close(): Promise<void>;
}

/** Settings of {@link SharedStreamReader}. */
export interface SharedStreamReaderOptions {
  /** Opens the reader's own connection (always ours to quit). */
  connect: () => Redis;
  /**
   * A non-blocked connection to the same server, on which a blocked XREAD is woken early (CLIENT UNBLOCK) so a
   * new stream joins now rather than after BLOCK.
   */
  unblockVia: () => Redis | undefined;
  blockMs: number;
  readCount: number;
  logger: Logger;
}

/** Longest a joining stream waits for a read that includes it before the read in flight is woken, in ms. */
const JOIN_WAKE_MS = 2;

/** XREAD's reply: per stream, its entries as `[id, fields]`. */
export type XReadReply = [string, [string, string[]][]][] | null;

/**
 * One connection that tails every live-subscribed chunk stream of a registry on a single server, with one
 * blocking XREAD over all of them, and fans entries out to subscribers' bounded buffers, instead of one blocking
 * connection per browser. The connection, its watchdog and CLIENT UNBLOCK are a {@link BlockingReader}'s.
 */
export class SharedStreamReader implements LiveReader {
  protected readonly streams = new Map<string, TailedStream>();
  protected readonly reader: BlockingReader;
  private loop: Promise<void> | undefined;
  private wakeSleep: (() => void) | undefined;
  private closed = false;
  /** Bumped whenever a stream joins; `reading` is its value when the read in flight was built. */
  private joined = 0;
  private reading = 0;
  private joinTimer: NodeJS.Timeout | undefined;

  constructor(protected readonly options: SharedStreamReaderOptions) {
    this.reader = new BlockingReader({
      connect: options.connect,
      blockMs: options.blockMs,
      unblockVia: options.unblockVia,
      // ioredis reconnects by itself; without a listener it would print every failed attempt to the console.
      onConnectionError: (error) =>
        options.logger.debug({ err: error }, 'stream-registry: reader connection error'),
    });
  }

  /** Number of streams currently tailed. */
  get size(): number {
    return this.streams.size;
  }

  /** Whether `key` is tailed here. */
  has(key: string): boolean {
    return this.streams.has(key);
  }

  /**
   * Adds a sink for `key`, whose subscriber has seen everything up to `seenId`. Returns the id from which this
   * sink will receive entries (exclusive): when it is ahead of `seenId` the subscriber must read the gap itself.
   */
  add(key: string, sink: LiveSink, seenId: string): string {
    if (this.closed) {
      sink.close();
      return seenId;
    }
    let tailed = this.streams.get(key);
    if (!tailed) {
      tailed = { lastId: seenId, sinks: new Set() };
      this.track(key, tailed);
    }
    tailed.sinks.add(sink);
    this.ensureLoop();
    return tailed.lastId;
  }

  /** Number of live subscribers across all tailed streams. */
  get sinkCount(): number {
    let count = 0;
    for (const tailed of this.streams.values()) count += tailed.sinks.size;
    return count;
  }

  /** Removes a sink; the stream leaves the next XREAD when its last sink goes. */
  remove(key: string, sink: LiveSink): void {
    const tailed = this.streams.get(key);
    if (!tailed) return;
    tailed.sinks.delete(sink);
    if (tailed.sinks.size === 0) this.streams.delete(key);
  }

  /** Stops the loop, ends every sink with `closed` and quits the reader connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.joinTimer);
    for (const tailed of this.streams.values()) for (const sink of tailed.sinks) sink.close();
    this.streams.clear();
    this.wakeSleep?.();
    // Cuts the read in flight, even on a connection that is reconnecting (whose commands would never settle).
    const ended = this.reader.close();
    await this.loop?.catch(() => {});
    await ended;
  }

  /** Starts tailing `key` from its position, and wakes the loop so the stream joins the next read now. */
  protected track(key: string, tailed: TailedStream): void {
    this.streams.set(key, tailed);
    this.wake();
    this.ensureLoop();
  }

  /**
   * One read of every tailed stream: here a single blocking XREAD. Overridden by the cluster node reader, whose
   * streams may span slots.
   */
  protected async round(): Promise<void> {
    const keys = [...this.streams.keys()];
    const from = new Map<string, string>();
    const [, , ...rest] = this.xreadArgs(keys, from);
    const reply = (await this.reader.read((connection) =>
      (connection as Redis).xread(
        'COUNT',
        this.options.readCount,
        'BLOCK',
        this.options.blockMs,
        ...(rest as ['STREAMS', ...string[]]),
      ),
    )) as XReadReply;
    if (reply) this.fanOut(reply, from);
  }

  /** Told of every failed read (the cluster node reader checks whether its node still owns the slots). */
  protected onFailure(_error: unknown): void {}

  /**
   * XREAD arguments (without BLOCK) for `keys`, each from the position its subscribers have reached, which it
   * records in `from` for {@link fanOut}.
   */
  protected xreadArgs(keys: string[], from: Map<string, string>): string[] {
    const ids = keys.map((key) => {
      const id = this.streams.get(key)?.lastId ?? '$';
      from.set(key, id);
      return id;
    });
    return ['COUNT', String(this.options.readCount), 'STREAMS', ...keys, ...ids];
  }

  /** Waits `ms`, or less when a stream joins (so it is read now, not after the pause). */
  protected pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleep = () => {
        this.wakeSleep = undefined;
        done();
      };
    });
  }

  private ensureLoop(): void {
    if (this.loop || this.closed || this.streams.size === 0) return;
    this.loop = this.run().finally(() => {
      this.loop = undefined;
      if (!this.closed && this.streams.size > 0) this.ensureLoop();
    });
  }

  /**
   * Gets a joining stream into a read within {@link JOIN_WAKE_MS}: the read in flight is woken (CLIENT UNBLOCK)
   * only if no read that includes the stream has started by then. Under traffic a read returns every few entries
   * anyway, so joins ride along on those and cost nothing; when it is quiet the join waits at most that long
   * (what it missed meanwhile it reads from its position, so nothing is lost). Many joins share one wake-up.
   */
  private wake(): void {
    this.wakeSleep?.();
    this.joined += 1;
    if (this.joinTimer) return;
    this.armJoinTimer();
  }

  private armJoinTimer(): void {
    this.joinTimer = setTimeout(() => {
      this.joinTimer = undefined;
      if (this.closed || this.reading >= this.joined) return;
      // A read being set up (a fresh connection asking its CLIENT ID) cannot be woken yet: look again shortly,
      // as long as the loop runs (its next read takes the joins anyway).
      if (!this.reader.blocked) {
        if (this.loop) this.armJoinTimer();
        return;
      }
      this.reader.unblock().catch((error: unknown) => {
        this.options.logger.debug(
          { err: error },
          'stream-registry: CLIENT UNBLOCK failed; waiting for BLOCK',
        );
      });
    }, JOIN_WAKE_MS);
    this.joinTimer.unref?.();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.closed && this.streams.size > 0) {
      try {
        this.reading = this.joined;
        await this.round();
        failures = 0;
      } catch (error) {
        if (this.closed) return;
        // The watchdog dropped a call that sat on a dead socket (or a reconnect that re-sent it, or a node that
        // is gone); the next turn opens a fresh connection.
        if (OverdueReadError.isInstance(error)) {
          this.options.logger.warn(
            { blockMs: this.options.blockMs },
            'stream-registry: XREAD overdue; reconnecting',
          );
        }
        failures += 1;
        this.options.logger.warn({ err: error, failures }, 'stream-registry: shared reader XREAD failed');
        this.onFailure(error);
        await this.pause(Math.min(100 * 2 ** failures, 5000));
      }
    }
  }

  /**
   * Hands a read's entries to the sinks of each stream, `from` being where the read asked each stream from. A
   * stream whose last sink left while the read was out, and that joined again from an earlier position (a
   * browser that reconnects with the id of the last chunk it showed, when its buffer already held the next one),
   * is skipped: the reply starts after entries the new sink has not had. The next read asks from its position.
   */
  protected fanOut(reply: NonNullable<XReadReply>, from: ReadonlyMap<string, string>): void {
    for (const [key, entries] of reply) {
      const tailed = this.streams.get(key);
      if (!tailed) continue;
      const readFrom = from.get(key);
      if (readFrom === undefined || compareStreamIds(readFrom, tailed.lastId) > 0) continue;
      for (const [id, fields] of entries) {
        if (compareStreamIds(id, tailed.lastId) <= 0) continue;
        tailed.lastId = id;
        const entry = parseEntry(id, fields);
        if (!entry) continue;
        for (const sink of tailed.sinks) {
          if (!sink.push(entry)) tailed.sinks.delete(sink);
        }
      }
      if (tailed.sinks.size === 0) this.streams.delete(key);
    }
  }
}

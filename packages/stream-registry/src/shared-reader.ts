import type { Logger } from '@chat/completion-schema';
import type { Redis } from 'ioredis';
import type { LiveSink } from './live-sink.js';
import { parseEntry } from './stream-entry.js';
import { compareStreamIds } from './stream-id.js';

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
  /** Wakes a blocked XREAD early so a new stream joins now rather than after BLOCK (CLIENT UNBLOCK). */
  unblock: (clientId: number) => Promise<unknown>;
  blockMs: number;
  readCount: number;
  logger: Logger;
  /**
   * Hash slot of a key, on a cluster node. A node refuses one XREAD over keys of several slots (CROSSSLOT), so
   * when the tailed streams span slots the reader polls instead: one pipeline of non-blocking XREADs, one per
   * slot, every `pollMs` while nothing arrives. Absent on a single server, where one blocking XREAD reads all.
   */
  slotOf?: (key: string) => number;
  /** Pause between empty polling rounds (cluster only). */
  pollMs?: number;
  /** Told of every failed read, so a cluster reader can check whether the node still owns the slots. */
  onFailure?: (error: unknown) => void;
}

type XReadReply = [string, [string, string[]][]][] | null;

/**
 * One connection that tails every live-subscribed chunk stream (of a registry, or of one cluster node) and
 * fans entries out to subscribers' bounded buffers, instead of one blocking connection per browser.
 */
export class SharedStreamReader implements LiveReader {
  private readonly streams = new Map<string, TailedStream>();
  private connection: Redis | undefined;
  private clientId: number | undefined;
  private loop: Promise<void> | undefined;
  private blocked = false;
  private wakePending = false;
  private wakeSleep: (() => void) | undefined;
  /** Counts XREAD calls, so a wake-up knows whether the call it targets already ended. */
  private generation = 0;
  private closed = false;
  /** Rejects when `close()` must unstick the loop; see {@link SharedStreamReader.untilClosed}. */
  private readonly closedSignal: Promise<never>;
  private signalClosed: (reason: Error) => void = () => {};

  constructor(private readonly options: SharedStreamReaderOptions) {
    this.closedSignal = new Promise<never>((_, reject) => {
      this.signalClosed = reject;
    });
    this.closedSignal.catch(() => {});
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
      this.attach(key, tailed);
    }
    tailed.sinks.add(sink);
    this.ensureLoop();
    return tailed.lastId;
  }

  /** Takes over a tailed stream with its position and sinks (a cluster slot moved to this node). */
  attach(key: string, tailed: TailedStream): void {
    this.streams.set(key, tailed);
    this.wake();
    this.ensureLoop();
  }

  /** Gives up a tailed stream, position and sinks included, so another node's reader can continue it. */
  detach(key: string): TailedStream | undefined {
    const tailed = this.streams.get(key);
    this.streams.delete(key);
    return tailed;
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
    for (const tailed of this.streams.values()) for (const sink of tailed.sinks) sink.close();
    this.streams.clear();
    this.wakeSleep?.();
    const connection = this.connection;
    this.connection = undefined;
    // A connected socket closes and its pending XREAD is rejected, which ends the loop; a reconnecting one has no
    // socket left to close, so its pending commands would never settle (see untilClosed).
    if (connection?.status === 'reconnecting') this.signalClosed(new Error('the shared reader is closed'));
    // A blocked XREAD never answers QUIT until BLOCK ends; disconnecting drops it at once.
    connection?.disconnect();
    await this.loop?.catch(() => {});
  }

  /**
   * `promise`, or a rejection when `close()` finds the connection reconnecting. A command on a connection that
   * is disconnected while reconnecting never settles (ioredis keeps it to resend after a reconnect that no longer
   * comes), so without this `close()` would wait forever, while Redis is down, for a loop stuck on it.
   */
  private untilClosed<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.closedSignal]);
  }

  private ensureLoop(): void {
    if (this.loop || this.closed || this.streams.size === 0) return;
    this.loop = this.run().finally(() => {
      this.loop = undefined;
      if (!this.closed && this.streams.size > 0) this.ensureLoop();
    });
  }

  private wake(): void {
    this.wakeSleep?.();
    if (!this.blocked || this.wakePending || this.clientId === undefined) return;
    this.wakePending = true;
    const id = this.clientId;
    const generation = this.generation;
    // Coalesced: many subscribers joining in one tick cost one CLIENT UNBLOCK. The UNBLOCK travels on another
    // connection and may overtake the XREAD it targets (answer 0), so it is retried while that call is current.
    void (async () => {
      for (let attempt = 0; attempt < 8 && this.generation === generation && !this.closed; attempt += 1) {
        try {
          if (Number(await this.options.unblock(id)) === 1) return;
        } catch (error) {
          this.options.logger.debug(
            { err: error },
            'stream-registry: CLIENT UNBLOCK failed; waiting for BLOCK',
          );
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 5 * (attempt + 1)));
      }
    })();
  }

  /** Tailed keys grouped by slot: one group on a single server (no `slotOf`). */
  private slotGroups(): string[][] {
    const { slotOf } = this.options;
    if (!slotOf) return [[...this.streams.keys()]];
    const groups = new Map<number, string[]>();
    for (const key of this.streams.keys()) {
      const slot = slotOf(key);
      const group = groups.get(slot);
      if (group) group.push(key);
      else groups.set(slot, [key]);
    }
    return [...groups.values()];
  }

  private xreadArgs(keys: string[]): string[] {
    const ids = keys.map((key) => this.streams.get(key)?.lastId ?? '$');
    return ['COUNT', String(this.options.readCount), 'STREAMS', ...keys, ...ids];
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.closed && this.streams.size > 0) {
      // Watchdog: a call that outlives BLOCK by this much sits on a dead socket (or a reconnect that re-sent it,
      // or a node that is gone); drop the connection and let the next turn open a fresh one.
      const watchdog = setTimeout(() => {
        if (this.closed) return;
        this.options.logger.warn(
          { blockMs: this.options.blockMs },
          'stream-registry: XREAD overdue; reconnecting',
        );
        const stale = this.connection;
        this.connection = undefined;
        stale?.disconnect();
      }, this.options.blockMs + Math.max(1000, this.options.blockMs));
      try {
        const connection = await this.untilClosed(this.open());
        const groups = this.slotGroups();
        this.generation += 1;
        let delivered: boolean;
        if (groups.length === 1) {
          this.blocked = true;
          this.wakePending = false;
          const [, , ...rest] = this.xreadArgs(groups[0]!);
          const reply = (await this.untilClosed(
            connection.xread(
              'COUNT',
              this.options.readCount,
              'BLOCK',
              this.options.blockMs,
              ...(rest as ['STREAMS', ...string[]]),
            ),
          )) as XReadReply;
          this.blocked = false;
          if (reply) this.fanOut(reply);
          delivered = true;
        } else {
          delivered = await this.untilClosed(this.poll(connection, groups));
        }
        clearTimeout(watchdog);
        failures = 0;
        if (!delivered) await this.sleep(this.options.pollMs ?? 100);
      } catch (error) {
        clearTimeout(watchdog);
        this.blocked = false;
        if (this.closed) return;
        failures += 1;
        this.options.logger.warn({ err: error, failures }, 'stream-registry: shared reader XREAD failed');
        this.options.onFailure?.(error);
        await this.sleep(Math.min(100 * 2 ** failures, 5000));
      }
    }
  }

  /** One round trip of non-blocking XREADs, one per slot; true when any entry arrived. */
  private async poll(connection: Redis, groups: string[][]): Promise<boolean> {
    const pipeline = connection.pipeline();
    for (const keys of groups) pipeline.xread(...(this.xreadArgs(keys) as ['COUNT', string, 'STREAMS']));
    const replies = (await pipeline.exec()) ?? [];
    let any = false;
    let failure: unknown;
    for (const [error, reply] of replies) {
      if (error) failure ??= error;
      else if (reply) {
        any = true;
        this.fanOut(reply as NonNullable<XReadReply>);
      }
    }
    if (failure) throw failure;
    return any;
  }

  private sleep(ms: number): Promise<void> {
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

  private fanOut(reply: NonNullable<XReadReply>): void {
    for (const [key, entries] of reply) {
      const tailed = this.streams.get(key);
      if (!tailed) continue;
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

  private async open(): Promise<Redis> {
    if (this.connection) return this.connection;
    const connection = this.options.connect();
    this.connection = connection;
    // ioredis reconnects by itself; without a listener it would print every failed attempt to the console.
    connection.on('error', (error: unknown) => {
      this.options.logger.debug({ err: error }, 'stream-registry: reader connection error');
    });
    // The id lets another connection wake this one with CLIENT UNBLOCK when a stream is added.
    this.clientId = Number(await connection.client('ID'));
    connection.on('ready', () => {
      connection
        .client('ID')
        .then((id) => {
          this.clientId = Number(id);
        })
        .catch(() => {});
    });
    return connection;
  }
}

import type { Logger } from '@chat/completion-schema';
import type { Redis } from 'ioredis';
import type { UIMessageChunk } from './chunk-schema.js';
import type { LiveSink, StreamEntry } from './live-sink.js';
import { compareStreamIds } from './stream-id.js';

interface TailedStream {
  /** Last id the reader has fanned out; the next XREAD asks for entries after it. */
  lastId: string;
  sinks: Set<LiveSink>;
}

/** Settings of {@link SharedStreamReader}. */
export interface SharedStreamReaderOptions {
  /** Opens the reader's own connection (a `duplicate()` of the registry's, so it is always ours to quit). */
  connect: () => Redis;
  /** Wakes a blocked XREAD early so a new stream joins now rather than after BLOCK (CLIENT UNBLOCK). */
  unblock: (clientId: number) => Promise<unknown>;
  blockMs: number;
  readCount: number;
  logger: Logger;
}

/** Parses an entry's `data` field; entries that are not our JSON are skipped rather than breaking every tail. */
function parseEntry(id: string, fields: string[]): StreamEntry | undefined {
  const index = fields.indexOf('data');
  const data = index >= 0 ? fields[index + 1] : undefined;
  if (data === undefined) return undefined;
  try {
    return { id, chunk: JSON.parse(data) as UIMessageChunk };
  } catch {
    return undefined;
  }
}

/**
 * One blocking connection per registry that tails every live-subscribed chunk stream with a single multi-key
 * XREAD and fans entries out to subscribers' bounded buffers, instead of one blocking connection per browser.
 */
export class SharedStreamReader {
  private readonly streams = new Map<string, TailedStream>();
  private connection: Redis | undefined;
  private clientId: number | undefined;
  private loop: Promise<void> | undefined;
  private blocked = false;
  private wakePending = false;
  /** Counts XREAD calls, so a wake-up knows whether the call it targets already ended. */
  private generation = 0;
  private closed = false;

  constructor(private readonly options: SharedStreamReaderOptions) {}

  /** Number of streams currently tailed. */
  get size(): number {
    return this.streams.size;
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
      this.streams.set(key, tailed);
      this.wake();
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
    for (const tailed of this.streams.values()) for (const sink of tailed.sinks) sink.close();
    this.streams.clear();
    // A blocked XREAD never answers QUIT until BLOCK ends; disconnecting drops it at once.
    this.connection?.disconnect();
    this.connection = undefined;
    await this.loop?.catch(() => {});
  }

  private ensureLoop(): void {
    if (this.loop || this.closed) return;
    this.loop = this.run().finally(() => {
      this.loop = undefined;
      if (!this.closed && this.streams.size > 0) this.ensureLoop();
    });
  }

  private wake(): void {
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

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.closed && this.streams.size > 0) {
      try {
        const connection = await this.open();
        const keys = [...this.streams.keys()];
        const ids = keys.map((key) => this.streams.get(key)?.lastId ?? '$');
        this.generation += 1;
        this.blocked = true;
        this.wakePending = false;
        // Watchdog: a blocking call that outlives BLOCK by this much sits on a dead socket (or a reconnect that
        // re-sent it); drop the connection and let the next turn open a fresh one.
        const watchdog = setTimeout(() => {
          this.options.logger.warn(
            { blockMs: this.options.blockMs },
            'stream-registry: XREAD overdue; reconnecting',
          );
          if (this.connection === connection) this.connection = undefined;
          connection.disconnect();
        }, this.options.blockMs + Math.max(1000, this.options.blockMs));
        let reply: [string, [string, string[]][]][] | null;
        try {
          reply = (await connection.xread(
            'COUNT',
            this.options.readCount,
            'BLOCK',
            this.options.blockMs,
            'STREAMS',
            ...keys,
            ...ids,
          )) as [string, [string, string[]][]][] | null;
        } finally {
          clearTimeout(watchdog);
        }
        this.blocked = false;
        failures = 0;
        if (reply) this.fanOut(reply);
      } catch (error) {
        this.blocked = false;
        if (this.closed) return;
        failures += 1;
        this.options.logger.warn({ err: error, failures }, 'stream-registry: shared reader XREAD failed');
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** failures, 5000)));
      }
    }
  }

  private fanOut(reply: [string, [string, string[]][]][]): void {
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

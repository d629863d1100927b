import type { Logger } from '@chat/completion-schema';
import type { Cluster, Redis } from 'ioredis';
import { errorMessage } from './redis-errors.js';
import type { RedisClient } from './scripts.js';
import type { DeliveredEntry, GroupRef } from './stream-entries.js';

/** A blocking read outlived BLOCK plus slack; its connection was replaced. */
export class ReadWatchdogError extends Error {
  constructor(ms: number) {
    super(`XREADGROUP did not return within ${ms} ms; connection replaced`);
    this.name = 'ReadWatchdogError';
  }
}

function isCluster(redis: RedisClient): redis is Cluster {
  return (redis as { isCluster?: boolean }).isCluster === true;
}

/**
 * Blocking XREADGROUP `>` on a dedicated connection (a duplicate of the caller's client, always ours to close)
 * with `maxRetriesPerRequest: null` and a bounded BLOCK. A watchdog replaces the connection when a read outlives
 * BLOCK plus slack: a half-open socket or ioredis re-sending a blocking command after a reconnect must not stall
 * the consumer forever.
 */
export class StreamReader {
  private conn: RedisClient | undefined;
  private clientId: number | undefined;
  private reading = false;

  constructor(
    private readonly source: RedisClient,
    private readonly ref: GroupRef,
    private readonly blockMs: number,
    private readonly logger: Logger,
  ) {}

  private get watchdogMs(): number {
    return this.blockMs + Math.max(1_000, this.blockMs);
  }

  private connection(): RedisClient {
    if (this.conn) return this.conn;
    const conn = isCluster(this.source)
      ? this.source.duplicate(undefined, {
          redisOptions: { ...this.source.options.redisOptions, maxRetriesPerRequest: null },
        })
      : (this.source as Redis).duplicate({ maxRetriesPerRequest: null });
    // ioredis emits connection errors as events; without a listener Node would crash the process.
    conn.on('error', (error: unknown) =>
      this.logger.debug({ err: errorMessage(error) }, 'reader connection error'),
    );
    conn.on('close', () => {
      this.clientId = undefined;
    });
    this.conn = conn;
    return conn;
  }

  /** Reads up to `count` new entries, waiting at most BLOCK; an empty array on timeout. */
  async read(count: number): Promise<DeliveredEntry[]> {
    const conn = this.connection();
    this.reading = true;
    let timer: NodeJS.Timeout | undefined;
    // The watchdog covers the whole read, CLIENT ID included: with maxRetriesPerRequest null a command queued
    // while Redis is down would otherwise wait for as long as the outage lasts.
    const watchdog = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.replace();
        reject(new ReadWatchdogError(this.watchdogMs));
      }, this.watchdogMs);
    });
    const attempt = (async () => {
      if (!isCluster(conn) && this.clientId === undefined) {
        this.clientId = Number(await (conn as Redis).client('ID'));
      }
      return (await conn.xreadgroup(
        'GROUP',
        this.ref.group,
        this.ref.consumer,
        'COUNT',
        count,
        'BLOCK',
        this.blockMs,
        'STREAMS',
        this.ref.stream,
        '>',
      )) as [string, [string, string[]][]][] | null;
    })();
    attempt.catch(() => {});
    try {
      const result = await Promise.race([attempt, watchdog]);
      const entries = result?.[0]?.[1] ?? [];
      return entries.map(([id, fields]) => ({ id, fields, deliveryCount: 1 }));
    } finally {
      this.reading = false;
      clearTimeout(timer);
    }
  }

  /** Upper bound of one {@link StreamReader.read}, watchdog included, in ms. */
  get maxReadMs(): number {
    return this.watchdogMs;
  }

  /** Drops the current connection; the next read opens a fresh one. */
  private replace(): void {
    const old = this.conn;
    this.conn = undefined;
    this.clientId = undefined;
    old?.disconnect();
  }

  /**
   * Makes a running read return at once (CLIENT UNBLOCK ... TIMEOUT, so no entry is delivered to a reader that
   * is going away). Single-node clients only; on a cluster the read ends within BLOCK.
   */
  async interrupt(): Promise<void> {
    if (!this.reading || this.clientId === undefined || isCluster(this.source)) return;
    try {
      await (this.source as Redis).client('UNBLOCK', this.clientId, 'TIMEOUT');
    } catch (error) {
      this.logger.debug({ err: errorMessage(error) }, 'could not unblock the reader');
    }
  }

  /** Closes the reader's connection (always ours). */
  close(): void {
    this.replace();
  }
}

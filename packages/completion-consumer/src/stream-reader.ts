import type { Logger } from '@chat/completion-schema';
import { BlockingReader, isCluster } from '@chat/redis-kit';
import { ReadWatchdogError } from './errors.js';
import type { RedisClient } from './scripts.js';
import type { DeliveredEntry, GroupRef } from './stream-entries.js';

/**
 * Blocking XREADGROUP `>` on a dedicated connection (a duplicate of the caller's client, always ours to close)
 * with `maxRetriesPerRequest: null` and a bounded BLOCK. A watchdog replaces the connection when a read outlives
 * BLOCK plus slack: a half-open socket or ioredis re-sending a blocking command after a reconnect must not stall
 * the consumer forever.
 */
export class StreamReader {
  private readonly reader: BlockingReader;

  constructor(
    source: RedisClient,
    private readonly ref: GroupRef,
    private readonly blockMs: number,
    private readonly logger: Logger,
  ) {
    this.reader = new BlockingReader({
      connect: () =>
        isCluster(source)
          ? source.duplicate(undefined, {
              redisOptions: { ...source.options.redisOptions, maxRetriesPerRequest: null },
            })
          : source.duplicate({ maxRetriesPerRequest: null }),
      blockMs,
      // On a cluster CLIENT ID would name some node's connection; there the read ends within BLOCK.
      unblockVia: isCluster(source) ? undefined : () => source,
      onConnectionError: (error) => this.logger.debug({ err: error }, 'reader connection error'),
      overdueError: (ms) => new ReadWatchdogError(ms),
    });
  }

  /** Reads up to `count` new entries, waiting at most BLOCK; an empty array on timeout. */
  async read(count: number): Promise<DeliveredEntry[]> {
    const result = (await this.reader.read((conn) =>
      conn.xreadgroup(
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
      ),
    )) as [string, [string, string[]][]][] | null;
    const entries = result?.[0]?.[1] ?? [];
    return entries.map(([id, fields]) => ({ id, fields, deliveryCount: 1 }));
  }

  /** Upper bound of one {@link StreamReader.read}, watchdog included, in ms. */
  get maxReadMs(): number {
    return this.reader.watchdogMs;
  }

  /**
   * Makes a running read return at once (CLIENT UNBLOCK ... TIMEOUT, so no entry is delivered to a reader that
   * is going away). Single-node clients only; on a cluster the read ends within BLOCK.
   */
  async interrupt(): Promise<void> {
    try {
      await this.reader.unblock();
    } catch (error) {
      this.logger.debug({ err: error }, 'could not unblock the reader');
    }
  }

  /** Closes the reader's connection (always ours). */
  close(): void {
    void this.reader.close();
  }
}

import type { Logger } from '@chat/completion-schema';
import { flatRecord } from '@chat/redis-kit';
import type { Cluster, Redis } from 'ioredis';

/**
 * Consumer names the Python original gives itself (`consumer-` and 8 hex digits of a uuid4). Our workers are named
 * `CONSUMER_NAME`, `POD_NAME` or `<hostname>-<pid>`: never this shape unless someone chose it.
 */
export const ORIGINAL_CONSUMER_NAME = /^consumer-[0-9a-f]{8}$/;

/** A consumer of another system in our group, holding entries it read but did not ack. */
export interface ForeignConsumer {
  stream: string;
  group: string;
  consumer: string;
  /** Entries it holds (XINFO CONSUMERS `pending`). */
  pending: number;
  /** Since its last attempted interaction, in ms (XINFO CONSUMERS `idle`). */
  idleMs: number;
}

/**
 * The consumers of `group` on `stream` that are the Python original's and hold pending entries. A missing stream
 * or group has none.
 */
export async function findForeignConsumers(
  redis: Redis | Cluster,
  stream: string,
  group: string,
): Promise<ForeignConsumer[]> {
  let consumers: unknown[][];
  try {
    consumers = (await redis.xinfo('CONSUMERS', stream, group)) as unknown[][];
  } catch (error) {
    if (error instanceof Error && /NOGROUP|no such key/i.test(error.message)) return [];
    throw error;
  }
  return consumers
    .map((info) => flatRecord(info))
    .map((record) => ({
      stream,
      group,
      consumer: String(record.name),
      pending: Number(record.pending),
      idleMs: Number(record.idle),
    }))
    .filter((c) => ORIGINAL_CONSUMER_NAME.test(c.consumer) && c.pending > 0);
}

/** Options of {@link ForeignConsumerWatch}. */
export interface ForeignConsumerWatchOptions {
  redis: Redis | Cluster;
  streams: readonly string[];
  group: string;
  /** Between checks; 0 = only the check at start. */
  intervalMs: number;
  logger: Logger;
  /** Receives every check's findings (all streams), e.g. to set a gauge. */
  onCheck: (found: ForeignConsumer[]) => void;
}

/**
 * Warns while Python consumers hold pending entries in the worker's group: a group shared by both systems gives
 * random outcomes (the original acks and drops a completion whose task is not registered yet, and re-streams the
 * tool output on redelivery), so this is the sign of an unfinished cutover. Our consumers claim such entries once
 * they are idle for `CLAIM_IDLE_MS`; the warning says who still holds some.
 */
export class ForeignConsumerWatch {
  private timer: ReturnType<typeof setInterval> | undefined;
  private checking: Promise<void> | undefined;

  constructor(private readonly options: ForeignConsumerWatchOptions) {}

  /** Runs the first check (resolves when it is done, never rejects) and schedules the next ones. */
  async start(): Promise<void> {
    await this.check();
    if (this.options.intervalMs > 0 && !this.timer) {
      this.timer = setInterval(() => void this.check(), this.options.intervalMs);
      this.timer.unref();
    }
  }

  /** Stops the checks; waits for one under way. Idempotent. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.checking;
  }

  private check(): Promise<void> {
    this.checking ??= this.run().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async run(): Promise<void> {
    const { redis, streams, group, logger } = this.options;
    try {
      const found = (await Promise.all(streams.map((s) => findForeignConsumers(redis, s, group)))).flat();
      for (const c of found) {
        logger.warn(
          { stream: c.stream, group: c.group, consumer: c.consumer, pending: c.pending, idleMs: c.idleMs },
          'a consumer of the Python original holds pending entries in this group; finish the cutover (see the README)',
        );
      }
      this.options.onCheck(found);
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'foreign consumer check failed');
    }
  }
}

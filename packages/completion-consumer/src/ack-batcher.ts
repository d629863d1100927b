import type { Logger } from '@chat/completion-schema';
import { sleep } from '@chat/redis-kit';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import { isNoGroupError } from './redis-errors.js';
import type { RedisClient } from './scripts.js';

/** Largest number of ids in one XACK; keeps a single command's size and latency bounded. */
const MAX_IDS_PER_ACK = 500;

/**
 * Batches acknowledgements: ids queued within `flushMs` go out as one multi-id XACK (one round trip for the
 * batch). A failed flush keeps its ids and retries with backoff; an unacknowledged id stays pending and would
 * be delivered again, so nothing is lost, only possibly re-run.
 */
export class AckBatcher {
  private queue: string[] = [];
  /** The batch of the flush in flight. */
  private sending: readonly string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private failures = 0;
  private stopped = false;
  /** Number of ids acknowledged so far. */
  acked = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly stream: string,
    private readonly group: string,
    private readonly flushMs: number,
    private readonly retry: BackoffOptions,
    private readonly logger: Logger,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Ids queued and not yet acknowledged. */
  get size(): number {
    return this.queue.length;
  }

  /** Ids not yet acknowledged: queued or in the flush in flight. */
  ids(): string[] {
    return this.sending.length ? [...this.sending, ...this.queue] : [...this.queue];
  }

  /** Queues `id`; it is acknowledged within `flushMs` (or as soon as Redis is reachable again). */
  add(id: string): void {
    if (this.stopped) {
      // Closed: the entry stays pending and is delivered again, rather than acked on a connection being shut.
      this.logger.warn({ entryId: id }, 'acknowledgement after close dropped; the entry stays pending');
      return;
    }
    this.queue.push(id);
    if (this.queue.length >= MAX_IDS_PER_ACK) this.schedule(0);
    else this.schedule(this.flushMs);
  }

  private schedule(delayMs: number): void {
    if (this.flushing) return;
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
  }

  /** Sends everything queued now; resolves when done (errors are reported, never thrown). */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => (this.queue.length ? this.flush() : undefined));
    if (this.queue.length === 0) return Promise.resolve();
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.queue.splice(0, MAX_IDS_PER_ACK);
    this.sending = batch;
    this.flushing = this.send(batch).finally(() => {
      this.flushing = undefined;
      this.sending = [];
      if (this.queue.length && !this.stopped)
        this.schedule(this.failures ? backoffDelay(this.failures, this.retry) : 0);
    });
    return this.flushing;
  }

  private async send(batch: string[]): Promise<void> {
    try {
      await this.redis.xack(this.stream, this.group, ...batch);
      this.acked += batch.length;
      this.failures = 0;
    } catch (error) {
      if (isNoGroupError(error)) {
        // The group is gone with its pending list; there is nothing left to acknowledge.
        this.logger.warn({ count: batch.length, err: error }, 'acks dropped: consumer group is gone');
        return;
      }
      this.failures++;
      this.queue.unshift(...batch);
      this.onError(error);
    }
  }

  /**
   * The final flush of a shutdown: flushes until nothing is queued or in flight, ids queued meanwhile (a handler
   * finishing during the flush) included, retrying failed flushes with backoff, for at most `timeoutMs`; then
   * stops, in the same tick as the last check, so no id can slip in between. Ids left at the deadline are logged
   * as an error with their count; their entries may stay pending and be delivered again. Returns that count.
   */
  async drain(timeoutMs: number): Promise<number> {
    const expired = new AbortController();
    const timer = setTimeout(() => expired.abort(), timeoutMs);
    const deadline = new Promise<void>((resolve) =>
      expired.signal.addEventListener('abort', () => resolve()),
    );
    try {
      while ((this.queue.length > 0 || this.flushing) && !expired.signal.aborted) {
        // A send stuck on a dead connection must not hold the shutdown past its deadline.
        await Promise.race([this.flush(), deadline]);
        if (this.failures > 0 && this.queue.length > 0 && !this.flushing)
          await sleep(backoffDelay(this.failures, this.retry), expired.signal);
      }
    } finally {
      clearTimeout(timer);
    }
    this.stop();
    const left = this.queue.length + this.sending.length;
    if (left > 0)
      this.logger.error(
        { count: left },
        `shutdown deadline reached with ${left} acknowledgement(s) not confirmed; those entries may be delivered again`,
      );
    return left;
  }

  /** Stops the timer; ids queued later are not acknowledged (see {@link AckBatcher.drain}). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

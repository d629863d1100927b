import type { Logger } from '@chat/completion-schema';
import type { AckBatcher } from './ack-batcher.js';
import { type DeadLetterReason, writeDeadLetter } from './dead-letter.js';
import type { ConsumerEvents } from './events.js';
import type { ConsumerMetrics } from './metrics.js';
import type { ResolvedConsumerOptions } from './options.js';
import type { RedisClient } from './scripts.js';
import type { DeliveredEntry } from './stream-entries.js';

/** What {@link Outcomes} needs from its consumer. */
export interface OutcomesHost {
  readonly redis: RedisClient;
  readonly options: ResolvedConsumerOptions;
  readonly logger: Logger;
  readonly stats: ConsumerMetrics;
  readonly acks: AckBatcher;
  emit<K extends keyof ConsumerEvents & string>(event: K, ...args: ConsumerEvents[K]): boolean;
  /** Whether anyone listens to `event`; the per-message event is only built for listeners. */
  listening(event: keyof ConsumerEvents & string): boolean;
  report(error: unknown, message: string): void;
}

/**
 * Where each entry's outcome is recorded in one place: the ack queue or the dead-letter stream, plus the
 * counters, the events and the log line that go with it.
 */
export class Outcomes {
  constructor(private readonly host: OutcomesHost) {}

  succeeded(entry: DeliveredEntry, durationMs: number, endToEndMs: number): void {
    this.host.stats.counters.processed++;
    this.host.stats.handlerDuration.observe(durationMs);
    this.host.stats.endToEnd.observe(endToEndMs);
    this.host.acks.add(entry.id);
    if (this.host.listening('processed'))
      this.host.emit('processed', { entryId: entry.id, deliveryCount: entry.deliveryCount, durationMs });
  }

  failedRun(entry: DeliveredEntry, error: unknown): void {
    this.host.stats.counters.failed++;
    this.host.logger.warn(
      { entryId: entry.id, deliveryCount: entry.deliveryCount, err: error },
      'handler failed',
    );
    this.host.emit('failed', { entryId: entry.id, deliveryCount: entry.deliveryCount, error });
  }

  async deadLetter(entry: DeliveredEntry, reason: DeadLetterReason, error: string): Promise<void> {
    const o = this.host.options;
    try {
      const id = await writeDeadLetter(
        this.host.redis,
        {
          stream: o.stream,
          deadLetterStream: o.deadLetter.stream,
          group: o.group,
          maxLen: o.deadLetter.maxLen,
        },
        {
          fields: entry.fields,
          reason,
          error,
          deliveryCount: entry.deliveryCount,
          sourceStream: o.stream,
          sourceId: entry.id,
          consumer: o.consumer,
        },
      );
      if (id === undefined) {
        this.host.logger.warn({ entryId: entry.id, reason }, 'not dead-lettered: entry is no longer ours');
        return;
      }
      this.host.stats.deadLetter(reason);
      this.host.logger.error(
        { entryId: entry.id, reason, err: error, deadLetterId: id },
        'entry dead-lettered',
      );
      this.host.emit('deadLettered', {
        entryId: entry.id,
        deliveryCount: entry.deliveryCount,
        reason,
        error,
        deadLetterId: id,
      });
    } catch (e) {
      // The entry stays pending and is delivered again after claimIdleMs; nothing is lost.
      this.host.report(e, `could not dead-letter ${entry.id}; it stays pending`);
    }
  }

  retryScheduled(entry: DeliveredEntry, delayMs: number): void {
    this.host.stats.counters.retried++;
    this.host.emit('retry', { entryId: entry.id, deliveryCount: entry.deliveryCount, delayMs });
  }

  claimed(ids: string[]): void {
    this.host.stats.counters.claimed += ids.length;
    this.host.logger.info({ count: ids.length }, 'claimed idle pending entries');
    this.host.emit('claimed', { entryIds: ids });
  }

  leaseLost(ids: string[]): void {
    this.host.stats.counters.leaseLost += ids.length;
    this.host.logger.warn({ entryIds: ids }, 'lease lost: another consumer claimed running entries');
    this.host.emit('leaseLost', { entryIds: ids });
  }

  markLost(ids: readonly string[]): void {
    if (ids.length === 0) return;
    this.host.stats.counters.lost += ids.length;
    this.host.logger.error(
      { entryIds: ids, reason: 'lost_before_processing' },
      'pending entries were deleted from the stream before being processed: data loss',
    );
    this.host.emit('lost', { entryIds: [...ids], reason: 'lost_before_processing' });
  }
}

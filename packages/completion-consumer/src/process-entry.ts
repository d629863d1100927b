import { decode, type Logger } from '@chat/completion-schema';
import { childLogger } from '@chat/completion-schema/internal';
import { backoffDelay } from './backoff.js';
import type { DeadLetterReason } from './dead-letter.js';
import { PermanentError, RetryableError } from './errors.js';
import type { ResolvedConsumerOptions } from './options.js';
import { entryTimestamp, errorMessage } from './redis-errors.js';
import type { DeliveredEntry } from './stream-entries.js';

/** What {@link processEntry} needs from its consumer; keeps the decision logic apart from the plumbing. */
export interface EntryProcessorHost {
  readonly options: ResolvedConsumerOptions;
  readonly logger: Logger;
  /** The entry succeeded: queue its acknowledgement and record metrics. */
  succeeded(entry: DeliveredEntry, durationMs: number, endToEndMs: number): void;
  /** A handler run threw. */
  failedRun(entry: DeliveredEntry, error: unknown): void;
  /** Dead-letter the entry (XADD to the DLQ + XACK, atomically). */
  deadLetter(entry: DeliveredEntry, reason: DeadLetterReason, error: string): Promise<void>;
  /** Leave the entry pending and make it claimable again after `delayMs`. */
  retryLater(entry: DeliveredEntry, delayMs: number): Promise<void>;
}

/**
 * Runs one delivered entry through the failure semantics: over the delivery limit → dead letter without running
 * the handler; undecodable → dead letter with the decode error code; handler resolves → acknowledge; handler
 * throws PermanentError → dead letter; throws on the last allowed delivery → dead letter (`max_deliveries` or a
 * RetryableError's reason); otherwise → retry after backoff. Aborted by shutdown → left pending as is.
 */
export async function processEntry(
  host: EntryProcessorHost,
  entry: DeliveredEntry,
  signal: AbortSignal,
): Promise<void> {
  const { options } = host;
  if (entry.deliveryCount > options.maxDeliveries) {
    await host.deadLetter(
      entry,
      'max_deliveries',
      `delivered ${entry.deliveryCount} times; the limit is ${options.maxDeliveries}`,
    );
    return;
  }
  const decoded = decode(entry.fields, { maxBytes: options.maxMessageBytes });
  if (!decoded.ok) {
    await host.deadLetter(entry, decoded.error.code, decoded.error.detail);
    return;
  }
  let logger: Logger | undefined;
  const context = {
    entryId: entry.id,
    deliveryCount: entry.deliveryCount,
    signal,
    // Built on first use: a pino child per message is a real cost for handlers that never log.
    get logger(): Logger {
      logger ??= childLogger(host.logger, { entryId: entry.id, deliveryCount: entry.deliveryCount });
      return logger;
    },
    stream: options.stream,
  };
  const started = performance.now();
  try {
    await options.handler(decoded.message, context);
  } catch (error) {
    host.failedRun(entry, error);
    if (PermanentError.isInstance(error)) {
      await host.deadLetter(entry, error.reason, errorMessage(error));
    } else if (signal.aborted) {
      // Shutdown cut the handler short: not the message's fault, so no retry is charged; it stays pending.
      host.logger.warn({ entryId: entry.id }, 'handler aborted by shutdown; entry left pending');
    } else if (entry.deliveryCount >= options.maxDeliveries) {
      const reason = RetryableError.isInstance(error) ? error.reason : 'max_deliveries';
      await host.deadLetter(entry, reason, errorMessage(error));
    } else {
      await host.retryLater(entry, backoffDelay(entry.deliveryCount, options.backoff));
    }
    return;
  }
  const durationMs = performance.now() - started;
  host.succeeded(entry, durationMs, Date.now() - entryTimestamp(entry.id));
}

import { decode, type Logger } from '@chat/completion-schema';
import { childLogger } from '@chat/completion-schema/internal';
import { entryTimestamp } from '@chat/redis-kit';
import { backoffDelay } from './backoff.js';
import type { Claimer } from './claimer.js';
import { PermanentError, RetryableError } from './errors.js';
import type { ResolvedConsumerOptions } from './options.js';
import type { Outcomes } from './outcomes.js';
import { errorMessage } from './redis-errors.js';
import type { DeliveredEntry } from './stream-entries.js';
import { startDeliveryTrace } from './tracing.js';

/** What {@link processEntry} works with; keeps the decision logic apart from the plumbing. */
export interface EntryProcessorHost {
  readonly options: ResolvedConsumerOptions;
  readonly logger: Logger;
  /** Where the outcome goes: acknowledgement and metrics, a failed run, the dead-letter stream. */
  readonly outcomes: Pick<Outcomes, 'succeeded' | 'failedRun' | 'deadLetter'>;
  /** Leaves a failed entry pending and makes it claimable again after its backoff. */
  readonly retries: Pick<Claimer, 'retryLater'>;
}

/**
 * Runs one delivered entry through the failure semantics: over the delivery limit → dead letter without running
 * the handler; undecodable → dead letter with the decode error code; handler resolves → acknowledge; handler
 * throws PermanentError → dead letter; throws on the last allowed delivery → dead letter (`max_deliveries` or a
 * RetryableError's reason); otherwise → retry after backoff. Aborted by shutdown → left pending as is. While an
 * OpenTelemetry SDK is registered, each delivery is a `process <stream>` span (see tracing.ts); otherwise `trace` is
 * undefined and costs nothing.
 */
export async function processEntry(
  host: EntryProcessorHost,
  entry: DeliveredEntry,
  signal: AbortSignal,
): Promise<void> {
  const { options } = host;
  if (entry.deliveryCount > options.maxDeliveries) {
    const detail = `delivered ${entry.deliveryCount} times; the limit is ${options.maxDeliveries}`;
    startDeliveryTrace(options, entry, undefined)?.deadLettered('max_deliveries', detail);
    await host.outcomes.deadLetter(entry, 'max_deliveries', detail);
    return;
  }
  const decoded = decode(entry.fields, { maxBytes: options.maxMessageBytes });
  if (!decoded.ok) {
    startDeliveryTrace(options, entry, undefined)?.deadLettered(decoded.error.code, decoded.error.detail);
    await host.outcomes.deadLetter(entry, decoded.error.code, decoded.error.detail);
    return;
  }
  const trace = startDeliveryTrace(options, entry, decoded.message);
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
    await (trace
      ? trace.run(() => options.handler(decoded.message, context))
      : options.handler(decoded.message, context));
  } catch (error) {
    host.outcomes.failedRun(entry, error);
    trace?.failed(error);
    if (PermanentError.isInstance(error)) {
      trace?.deadLettered(error.reason, errorMessage(error));
      await host.outcomes.deadLetter(entry, error.reason, errorMessage(error));
    } else if (signal.aborted) {
      // Shutdown cut the handler short: not the message's fault, so no retry is charged; it stays pending.
      trace?.end('aborted');
      host.logger.warn({ entryId: entry.id }, 'handler aborted by shutdown; entry left pending');
    } else if (entry.deliveryCount >= options.maxDeliveries) {
      const reason = RetryableError.isInstance(error) ? error.reason : 'max_deliveries';
      trace?.deadLettered(reason, errorMessage(error));
      await host.outcomes.deadLetter(entry, reason, errorMessage(error));
    } else {
      const delay = backoffDelay(entry.deliveryCount, options.backoff);
      trace?.retry(delay);
      await host.retries.retryLater(entry, delay);
    }
    return;
  }
  trace?.end('acked');
  const durationMs = performance.now() - started;
  host.outcomes.succeeded(entry, durationMs, Date.now() - entryTimestamp(entry.id));
}

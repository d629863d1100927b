import type { OperationCompleteMessage } from '@chat/completion-schema';
import { activeTracer, messagingAttributes, type OtelApi, otelApi, recordSpanError } from '@chat/redis-kit';
import type { Context, Link, Span } from '@opentelemetry/api';
import type { ResolvedConsumerOptions } from './options.js';
import type { DeliveredEntry } from './stream-entries.js';

/** The tracer name of the consumer's spans (the OpenTelemetry instrumentation scope). */
export const CONSUMER_TRACER_NAME = '@chat/completion-consumer';

/** How a delivery ended, as the `chat.consumer.outcome` attribute of its span says. */
export type DeliveryOutcome = 'acked' | 'retry' | 'dead_letter' | 'aborted';

/**
 * The `process <stream>` span (kind CONSUMER) of one delivery, following the OpenTelemetry messaging conventions:
 * linked to the producer's span (or its child, with `producerTrace: 'parent'`), the handler running inside it so the
 * registry's spans are its children, and the outcome, `error.type`, retries and dead-lettering recorded on it.
 * Only created while an SDK is registered; {@link startDeliveryTrace} returns undefined otherwise.
 */
export class DeliveryTrace {
  private readonly span: Span;
  private readonly context: Context;

  constructor(
    private readonly api: OtelApi,
    span: Span,
    parent: Context,
  ) {
    this.span = span;
    this.context = api.trace.setSpan(parent, span);
  }

  /** Runs the handler with this delivery's span active. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.api.context.with(this.context, fn);
  }

  /** Records a failed handler run: `error.type` and the exception. */
  failed(error: unknown): void {
    recordSpanError(this.api, this.span, error);
  }

  /** Records a scheduled retry (an event with the delay) and ends the span. */
  retry(delayMs: number): void {
    this.span.addEvent('retry_scheduled', { 'chat.consumer.retry_delay_ms': delayMs });
    this.end('retry');
  }

  /** Records a dead letter (an event with the reason) and ends the span. */
  deadLettered(reason: string, detail: string): void {
    this.span.addEvent('dead_lettered', {
      'chat.consumer.dead_letter_reason': reason,
      'exception.message': detail,
    });
    recordSpanError(this.api, this.span, undefined, reason);
    this.end('dead_letter');
  }

  /** Ends the span with `outcome`. */
  end(outcome: DeliveryOutcome): void {
    this.span.setAttribute('chat.consumer.outcome', outcome);
    this.span.end();
  }
}

/**
 * Starts the span of one delivery when an OpenTelemetry SDK is registered; undefined (allocating nothing) when none
 * is or the API is not installed. `message` is the decoded message when there is one: its `traceparent` and
 * `tracestate` are extracted with the registered propagator.
 */
export function startDeliveryTrace(
  options: ResolvedConsumerOptions,
  entry: DeliveredEntry,
  message: OperationCompleteMessage | undefined,
): DeliveryTrace | undefined {
  const tracer = activeTracer(CONSUMER_TRACER_NAME);
  const api = otelApi();
  if (!tracer || !api) return undefined;
  const active = api.context.active();
  const producer = message ? producerContext(api, message) : undefined;
  const producerSpan = producer && api.trace.getSpanContext(producer);
  const parenting = producerSpan && options.producerTrace === 'parent';
  const links: Link[] = producerSpan && !parenting ? [{ context: producerSpan }] : [];
  const parent = parenting ? producer : active;
  const span = tracer.startSpan(
    `process ${options.stream}`,
    {
      kind: api.SpanKind.CONSUMER,
      links,
      attributes: messagingAttributes('process', options.stream, {
        'messaging.message.id': entry.id,
        'messaging.consumer.group.name': options.group,
        'messaging.client.id': options.consumer,
        'messaging.redis.message.delivery_count': entry.deliveryCount,
        ...(message && {
          'messaging.message.conversation_id': message.task_id,
          'chat.operation_id': message.operation_id,
        }),
      }),
    },
    parent,
  );
  return new DeliveryTrace(api, span, parent);
}

/** The producer's context carried in the message, or undefined when it carries none (or an invalid one). */
function producerContext(api: OtelApi, message: OperationCompleteMessage): Context | undefined {
  if (message.traceparent === undefined) return undefined;
  const carrier: Record<string, string> = { traceparent: message.traceparent };
  if (typeof message.tracestate === 'string') carrier.tracestate = message.tracestate;
  const extracted = api.propagation.extract(api.ROOT_CONTEXT, carrier);
  const span = api.trace.getSpanContext(extracted);
  return span && api.isSpanContextValid(span) ? extracted : undefined;
}

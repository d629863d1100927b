import {
  activeTracer,
  loadOtelApi,
  messagingAttributes,
  type OtelApi,
  otelApi,
  recordSpanError,
} from '@chat/redis-kit';
import type { Attributes, Span } from '@opentelemetry/api';

/** The tracer name of the publisher's spans (the OpenTelemetry instrumentation scope). */
export const PUBLISHER_TRACER_NAME = '@chat/completion-publisher';

/** The W3C trace-context fields the registered propagator wrote for a message. */
export interface TraceFields {
  traceparent?: string;
  tracestate?: string;
}

/**
 * One `send <stream>` span (kind PRODUCER, OpenTelemetry messaging conventions) and the trace context to stamp on
 * the entries it sends. Without a registered SDK there is no span, only the active context's fields, if any.
 */
export class SendTrace {
  constructor(
    private readonly api: OtelApi,
    private readonly span: Span | undefined,
    /** What to stamp on each message that carries no `traceparent` of its own. */
    readonly fields: TraceFields,
  ) {}

  /** Records the entry ids (`messaging.message.id` for a single send) and ends the span. */
  sent(ids: readonly string[]): void {
    if (!this.span) return;
    if (ids.length === 1) this.span.setAttribute('messaging.message.id', ids[0]!);
    this.span.end();
  }

  /** Records the failure (`error.type` is the publisher's error code) and ends the span. */
  failed(error: unknown): void {
    if (!this.span) return;
    recordSpanError(this.api, this.span, error);
    this.span.end();
  }
}

/**
 * Starts the send span of one publish (or one batch) when `@opentelemetry/api` is installed, and injects its context
 * with the registered propagator (`traceparent`, `tracestate`). Undefined when the API is not installed, or when
 * there is neither an SDK nor an active context to propagate. The API is imported lazily: a producer without it
 * pays one failed import.
 */
export async function startSendTrace(
  destination: string,
  attributes: Attributes,
): Promise<SendTrace | undefined> {
  const loaded = otelApi();
  if (loaded === null) return undefined;
  const api = loaded ?? (await loadOtelApi());
  if (!api) return undefined;
  const active = api.context.active();
  const tracer = activeTracer(PUBLISHER_TRACER_NAME);
  const span = tracer?.startSpan(
    `send ${destination}`,
    { kind: api.SpanKind.PRODUCER, attributes: messagingAttributes('send', destination, attributes) },
    active,
  );
  const carrier: TraceFields = {};
  api.propagation.inject(span ? api.trace.setSpan(active, span) : active, carrier);
  if (!span && carrier.traceparent === undefined) return undefined;
  return new SendTrace(api, span, carrier);
}

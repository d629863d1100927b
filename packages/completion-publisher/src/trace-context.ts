type OtelApi = typeof import('@opentelemetry/api');

/** undefined: not tried yet; null: not installed. */
let api: OtelApi | null | undefined;
let loading: Promise<OtelApi | null> | undefined;

/**
 * Loads `@opentelemetry/api` once, if the application has it. It is an optional peer: a producer without
 * tracing pays one failed import and nothing else.
 */
function loadApi(): Promise<OtelApi | null> {
  loading ??= import('@opentelemetry/api').then(
    (module) => {
      api = module;
      return module;
    },
    () => {
      api = null;
      return null;
    },
  );
  return loading;
}

function traceparentFrom(otel: OtelApi): string | undefined {
  const span = otel.trace.getSpanContext(otel.context.active());
  if (!span || !otel.isSpanContextValid(span)) return undefined;
  const flags = (span.traceFlags & 0xff).toString(16).padStart(2, '0');
  return `00-${span.traceId}-${span.spanId}-${flags}`;
}

/**
 * The W3C `traceparent` of the active OpenTelemetry span, or undefined when there is none or the API is not
 * installed. Reads the context before any await once the API is loaded, so it is the caller's context.
 */
export async function activeTraceparent(): Promise<string | undefined> {
  if (api === null) return undefined;
  if (api) return traceparentFrom(api);
  const loaded = await loadApi();
  return loaded ? traceparentFrom(loaded) : undefined;
}

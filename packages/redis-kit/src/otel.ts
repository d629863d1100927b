import type { Attributes, Span, Tracer, TracerProvider } from '@opentelemetry/api';

/** The `@opentelemetry/api` module, an optional peer of every published package. */
export type OtelApi = typeof import('@opentelemetry/api');

/** undefined: not tried yet; null: not installed. */
let api: OtelApi | null | undefined;
let loading: Promise<OtelApi | null> | undefined;
/** The API's no-op provider: what the global provider delegates to while no SDK is registered. */
let noopProvider: TracerProvider | undefined;

/**
 * Loads `@opentelemetry/api` once, if the application has it. An application without it pays one failed import and
 * nothing else; {@link otelApi} answers synchronously afterwards.
 */
export function loadOtelApi(): Promise<OtelApi | null> {
  loading ??= import('@opentelemetry/api').then(
    (module) => {
      // ESM gives the namespace; a CJS build may wrap it in `default`.
      const loaded = ('trace' in module ? module : (module as { default: OtelApi }).default) as OtelApi;
      noopProvider = new loaded.ProxyTracerProvider().getDelegate();
      api = loaded;
      return loaded;
    },
    () => {
      api = null;
      return null;
    },
  );
  return loading;
}

/** The API once {@link loadOtelApi} settled: the module, null when it is not installed, undefined before. */
export function otelApi(): OtelApi | null | undefined {
  return api;
}

/**
 * A cached tracer of the registered SDK, or undefined while none is registered (or the API is not loaded). Allocates
 * nothing in either case, so a package can ask once per message and stay off the hot path when tracing is off.
 */
export function activeTracer(name: string): Tracer | undefined {
  if (!api) return undefined;
  const global = api.trace.getTracerProvider();
  const provider = global instanceof api.ProxyTracerProvider ? global.getDelegate() : global;
  if (provider === noopProvider) return undefined;
  let cached = tracers.get(name);
  if (cached?.provider !== provider) {
    cached = { provider, tracer: provider.getTracer(name) };
    tracers.set(name, cached);
  }
  return cached.tracer;
}

const tracers = new Map<string, { provider: TracerProvider; tracer: Tracer }>();

/** `messaging.system` of every span the packages create: Redis Streams. */
export const MESSAGING_SYSTEM = 'redis';

/**
 * The OpenTelemetry messaging attributes every send and process span carries (semantic conventions, messaging
 * spans): system, destination, operation type and name.
 */
export function messagingAttributes(
  operation: 'send' | 'process',
  destination: string,
  extra: Attributes,
): Attributes {
  return {
    'messaging.system': MESSAGING_SYSTEM,
    'messaging.destination.name': destination,
    'messaging.operation.type': operation,
    'messaging.operation.name': operation,
    ...extra,
  };
}

/**
 * A low-cardinality `error.type` for a span: a typed error's `reason` or `code` (the packages' error unions), else
 * the error's class name, else `_OTHER` (the conventions' fallback).
 */
export function errorTypeOf(error: unknown): string {
  if (error && typeof error === 'object') {
    const { reason, code, name } = error as { reason?: unknown; code?: unknown; name?: unknown };
    if (typeof reason === 'string') return reason;
    if (typeof code === 'string') return code;
    if (typeof name === 'string' && name !== '') return name;
  }
  return '_OTHER';
}

/** Marks `span` failed: `error.type` (`type`, else {@link errorTypeOf}), the exception when it is an Error, status ERROR. */
export function recordSpanError(api: OtelApi, span: Span, error: unknown, type = errorTypeOf(error)): void {
  span.setAttribute('error.type', type);
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: api.SpanStatusCode.ERROR, message: type });
}

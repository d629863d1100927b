import type { WorkerLogger } from './logger.js';

/** The OpenTelemetry SDK the worker started, to flush and stop on shutdown. */
export interface WorkerTracing {
  shutdown(): Promise<void>;
}

/**
 * True when the standard OpenTelemetry environment variables ask for traces: `OTEL_TRACES_EXPORTER` names an
 * exporter other than `none`, or (with it unset) an OTLP endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`). `OTEL_SDK_DISABLED=true` turns everything off, as in every SDK.
 */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters =
    env.OTEL_TRACES_EXPORTER?.split(',')
      .map((name) => name.trim())
      .filter(Boolean) ?? [];
  if (exporters.length > 0) return !exporters.includes('none');
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts the OpenTelemetry Node SDK (`@opentelemetry/sdk-node`) when {@link tracingRequested}; the SDK reads the
 * rest of its configuration (exporter, protocol, endpoint, headers, sampler, resource attributes) from the same
 * `OTEL_*` variables. Otherwise it loads nothing and logs nothing. The service name defaults to `consumer-worker`.
 */
export async function startTracing(
  env: NodeJS.ProcessEnv,
  logger: WorkerLogger,
): Promise<WorkerTracing | undefined> {
  if (!tracingRequested(env)) return undefined;
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({ serviceName: env.OTEL_SERVICE_NAME || 'consumer-worker' });
  sdk.start();
  logger.info(
    {
      exporter: env.OTEL_TRACES_EXPORTER || 'otlp',
      endpoint: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT,
      protocol: env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf',
    },
    'OpenTelemetry tracing started',
  );
  return sdk;
}

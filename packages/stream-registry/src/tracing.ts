import { activeTracer, loadOtelApi, otelApi, recordSpanError } from '@chat/redis-kit';
import type { Attributes } from '@opentelemetry/api';

/** The tracer name of the registry's spans (the OpenTelemetry instrumentation scope). */
export const REGISTRY_TRACER_NAME = '@chat/stream-registry';

/**
 * What the registry traces, each as a span named `registry.<name>`: a subscription's check (`subscribe`) and its
 * replay from the cursor (`replay`), the lookup of a completion's task (`find_task`), and the phases of a completion
 * (`settle`, `persist`, `continue`, `finish`; `settle_finish` when one script settles and finishes it).
 */
export type RegistrySpanName =
  | 'subscribe'
  | 'replay'
  | 'find_task'
  | 'settle'
  | 'settle_finish'
  | 'persist'
  | 'continue'
  | 'finish';

/** A span started with {@link startRegistrySpan}, for work that does not fit one function call (a replay). */
export interface RegistrySpan {
  /** Sets attributes and ends the span. */
  end(attributes?: Attributes): void;
  /** Records the error (`error.type`, the exception, status ERROR); {@link end} still ends the span. */
  fail(error: unknown): void;
}

/**
 * Runs `fn` inside a `registry.<name>` span (kind INTERNAL, child of the active span: in the worker, the delivery's
 * `process` span), ending it when `fn` settles and recording a rejection. Without `@opentelemetry/api` or a
 * registered SDK it only calls `fn`. A completion phase is traced as
 * `withSpan('settle', { 'chat.task_id': taskId }, () => settle(...))`.
 */
export function withSpan<T>(
  name: RegistrySpanName,
  attributes: Attributes,
  fn: () => Promise<T>,
): Promise<T> {
  const api = otelApi();
  // Not loaded yet: only the first calls of a process wait for the import.
  if (api === undefined) return loadOtelApi().then(() => withSpan(name, attributes, fn));
  const tracer = activeTracer(REGISTRY_TRACER_NAME);
  // Tracing off: the call itself, no span and no extra promise.
  if (!api || !tracer) return fn();
  return tracer.startActiveSpan(`registry.${name}`, { attributes }, async (span) => {
    try {
      const value = await fn();
      span.end();
      return value;
    } catch (error) {
      recordSpanError(api, span, error);
      span.end();
      throw error;
    }
  });
}

/**
 * Starts a `registry.<name>` span now, to end later; undefined (allocating nothing) without the API or an SDK. The
 * API must already be loaded (any {@link withSpan} call, or {@link loadOtelApi}, loads it).
 */
export function startRegistrySpan(name: RegistrySpanName, attributes: Attributes): RegistrySpan | undefined {
  const api = otelApi();
  const tracer = activeTracer(REGISTRY_TRACER_NAME);
  if (!api || !tracer) return undefined;
  const span = tracer.startSpan(`registry.${name}`, { attributes });
  return {
    end(more) {
      if (more) span.setAttributes(more);
      span.end();
    },
    fail: (error) => recordSpanError(api, span, error),
  };
}

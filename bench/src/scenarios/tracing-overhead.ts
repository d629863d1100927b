import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { ScenarioOutcome, TracingJob } from '../child-protocol.js';
import { runConsumer } from './consumer.js';
import type { ScenarioContext } from './context.js';

/** Counts and drops what it is given: the cost measured is making and ending spans, not shipping them. */
class DiscardingExporter implements SpanExporter {
  exported = 0;
  export(spans: ReadableSpan[], done: (result: { code: number }) => void): void {
    this.exported += spans.length;
    done({ code: 0 });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * The no-op consumer with tracing off (`@opentelemetry/api` installed, no SDK: the default) or on (an SDK
 * registered as an application does: AsyncLocalStorage context, every span sampled, a batch processor), so the two
 * rows of one run give the cost of a `process` span per message.
 */
export async function runTracing(job: TracingJob, ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const consume = () => runConsumer({ ...job, kind: 'consumer', handler: 'noop' }, ctx);
  if (!job.tracing) return consume();
  const exporter = new DiscardingExporter();
  // A queue that holds every span of the run: a dropped span would be work not measured.
  const processor = new BatchSpanProcessor({ exporter, maxQueueSize: job.n + 1024 });
  const provider = new TracerProvider({ spanProcessors: [processor] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  const outcome = await consume();
  await provider.forceFlush();
  await provider.shutdown();
  // The consumer must really have traced every delivery, or the row would measure nothing.
  if (exporter.exported < job.n)
    throw new Error(`only ${exporter.exported} of ${job.n} deliveries were traced`);
  return { ...outcome, note: `${exporter.exported} process spans` };
}

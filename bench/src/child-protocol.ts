import type { LatencySummary } from './results.js';

/** Connection and keys every child job gets. */
interface JobBase {
  url: string;
  stream: string;
  group: string;
  /** Profile the measured phase with the V8 CPU profiler and write it here. */
  profileFile?: string;
}

/** Pipelined raw `XADD` of `n` messages in batches: the producer ceiling. */
export interface RawXaddJob extends JobBase {
  kind: 'raw-xadd';
  n: number;
  batchSize: number;
}

/** `publishMany` of `n` messages in the same batches as {@link RawXaddJob}. */
export interface PublisherJob extends JobBase {
  kind: 'publisher';
  n: number;
  batchSize: number;
  /** `false`: idempotency and MAXLEN off, the like-for-like comparison; `true`: the publisher's defaults. */
  defaults: boolean;
}

/** Bare `XREADGROUP` + one multi-id `XACK` per batch + `JSON.parse`: the consumer ceiling. */
export interface RawConsumeJob extends JobBase {
  kind: 'raw-consume';
  n: number;
  readCount: number;
}

/** The consumer engine over `n` preloaded entries, with a no-op handler or the worker's full path. */
export interface ConsumerJob extends JobBase {
  kind: 'consumer';
  n: number;
  concurrency: number;
  handler: 'noop' | 'full-path';
}

/** Publish at a fixed rate while consuming (no-op handler); records publish→handled latency. */
export interface OfferedLoadJob extends JobBase {
  kind: 'offered-load';
  rate: number;
  seconds: number;
  warmupSeconds: number;
  concurrency: number;
  /** Keep the RSS timeline (the soak's chart). */
  timeline: boolean;
}

/** The open-loop producer of an {@link OfferedLoadJob}, in its own process so the consumer's RSS is its own. */
export interface PacedProducerJob extends JobBase {
  kind: 'paced-producer';
  rate: number;
  seconds: number;
}

/** The no-op consumer with an OpenTelemetry SDK registered (`tracing`) or not: the tracing overhead. */
export interface TracingJob extends JobBase {
  kind: 'tracing';
  n: number;
  concurrency: number;
  tracing: boolean;
}

/** One scenario, run in a fresh child process. */
export type ChildJob =
  | RawXaddJob
  | PublisherJob
  | RawConsumeJob
  | ConsumerJob
  | OfferedLoadJob
  | PacedProducerJob
  | TracingJob;

/** What a scenario function measured, before RSS is added. */
export interface ScenarioOutcome {
  messages: number;
  elapsedMs: number;
  latency?: LatencySummary;
  note?: string;
}

/** Messages a child sends its parent over IPC. */
export type ChildMessage =
  | { type: 'progress'; done: number; total: number; rssBytes: number }
  | {
      type: 'result';
      outcome: ScenarioOutcome;
      rss: {
        startBytes: number;
        endBytes: number;
        maxBytes: number;
        maxHeapTotalBytes: number;
        timeline?: [number, number][];
      };
    }
  | { type: 'error'; message: string; stack?: string };

/** What a parent sends a child: exactly one job. */
export type ParentMessage = { type: 'run'; job: ChildJob };

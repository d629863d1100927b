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
  /** The consumer's `prefetch`; its default when absent. */
  prefetch?: number;
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
  /** Index of the first message (`op-<i>`/`task-<i>`), so completions go to tasks registered for them. @defaultValue 0 */
  firstIndex?: number;
  /** CLOCK_MONOTONIC µs at which message `firstIndex` is due (a schedule shared with other processes). */
  startAtUs?: number;
}

/** The deployable worker's own composition (`createWorker`) in its own process, until `n` entries are handled. */
export interface WorkerJob extends JobBase {
  kind: 'worker';
  n: number;
  concurrency: number;
  /** Also report when the first `markAt` entries were handled (a backlog's drain time). */
  markAt?: number;
  /**
   * Record publish → handler start from each message's `result.sent_us` stamp (a `transform` hook that changes
   * nothing) and report its p50/p99: the worker's share of the end-to-end latency.
   */
  recordPickup?: boolean;
}

/**
 * End to end: this process holds one SSE connection per task (opened `leadMs` before its completion is due) to a
 * chat-API process serving the registry's SSE handler; a worker process and an open-loop producer process run
 * beside them.
 * Records publish → `tool-output-available` received. With `backlog`, that many completions are queued before
 * the worker starts (the backlog drain).
 */
export interface EndToEndJob extends JobBase {
  kind: 'end-to-end';
  rate: number;
  seconds: number;
  warmupSeconds: number;
  leadMs: number;
  concurrency: number;
  /** Completions already queued for tasks `0 … backlog-1`; fresh ones start at index `backlog`. @defaultValue 0 */
  backlog?: number;
  /** The chat API registry's `readerConnections`. @defaultValue the registry's (1) */
  readerConnections?: number;
}

/**
 * The chat API alone, in its own process (the registry's SSE handler on `port`), as in production where browsers
 * are elsewhere: it serves until its parent sends `stop`.
 */
export interface ChatApiJob extends JobBase {
  kind: 'chat-api';
  port: number;
  /** The registry's `readerConnections`. @defaultValue the registry's (1) */
  readerConnections?: number;
}

/** The round trip a completion's path cannot beat: `XADD` in one connection, `XREAD BLOCK` on another. */
export interface RawRoundTripJob extends JobBase {
  kind: 'raw-roundtrip';
  rate: number;
  seconds: number;
  warmupSeconds: number;
}

/**
 * Many watchers: this process is the chat API (the registry's SSE handler); a client process opens
 * `subscribers` SSE connections over `tasks` tasks, chunks are written, then every client reconnects at once with
 * `Last-Event-ID` after more chunks were written (the storm).
 */
export interface WatchersJob extends JobBase {
  kind: 'watchers';
  subscribers: number;
  tasks: number;
  /** Chunks written per task while everyone is connected. */
  chunks: number;
  /** Chunks written per task while everyone is disconnected, replayed by the storm. */
  stormChunks: number;
  timeline: boolean;
}

/** The client side of a {@link WatchersJob}: the connections, the chunk writer and the storm. */
export interface WatcherClientsJob extends JobBase {
  kind: 'watcher-clients';
  port: number;
  subscribers: number;
  tasks: number;
  chunks: number;
  stormChunks: number;
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
  | WorkerJob
  | EndToEndJob
  | ChatApiJob
  | RawRoundTripJob
  | WatchersJob
  | WatcherClientsJob
  | TracingJob;

/** What a scenario function measured, before RSS is added. */
export interface ScenarioOutcome {
  messages: number;
  elapsedMs: number;
  latency?: LatencySummary;
  note?: string;
  /** Figures beyond msgs/s and latency (drain time, RSS per subscriber, storm commands), by name. */
  figures?: Record<string, number>;
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
      /** CPU (user + system) the process spent between `measuring()` and `measured()`, in ms. */
      cpuMs?: number;
    }
  | { type: 'error'; message: string; stack?: string };

/** What a parent sends a child: exactly one job, and `stop` to a child that runs until told (the chat API). */
export type ParentMessage = { type: 'run'; job: ChildJob } | { type: 'stop' };

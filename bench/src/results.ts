/** Latency percentiles of one run, in milliseconds (from an HDR histogram recorded in microseconds). */
export interface LatencySummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  meanMs: number;
  /** Counts per bucket (`upToMs` inclusive, after the previous bucket's edge; the last is `null`: above all). */
  buckets?: { upToMs: number | null; count: number }[];
}

/** Resident set size of the process that ran a scenario, sampled every 100 ms. */
export interface RssSummary {
  startMB: number;
  endMB: number;
  maxMB: number;
  /** Largest V8 heap reserved (`heapTotal`), sampled once a second: the rest of RSS is code, stacks and native. */
  maxHeapMB: number;
  /** `[seconds since the measured phase began, MB]`, kept for the soak's chart. */
  timeline?: [number, number][];
}

/** Where a profiled child spent its CPU time, heaviest first. */
export interface ProfileSummary {
  file: string;
  /** Share of non-idle samples per area (our packages, ioredis, node internals, GC, …), in percent. */
  byArea: Record<string, number>;
  /** The heaviest functions by self time, in percent of non-idle samples. */
  top: { fn: string; where: string; selfPct: number }[];
}

/** One row of the report. */
export interface ScenarioResult {
  id: string;
  /** The scenario's section of the report (1–6 throughput and latency, 7 tracing, 8 on: the pipeline as users feel it). */
  section: number;
  title: string;
  kind: 'produce' | 'consume' | 'latency' | 'soak' | 'end-to-end' | 'watchers' | 'drain';
  status: 'ok' | 'skipped' | 'failed';
  note?: string;
  messages: number;
  elapsedMs: number;
  msgsPerSec: number;
  /** Id of the row this one is compared with, and the ratio of their msgs/s. */
  baseline?: string;
  ratio?: number;
  offeredRate?: number;
  latency?: LatencySummary;
  rss?: RssSummary;
  /** Server-side `INFO commandstats` calls during the measured phase, divided by messages. */
  commandsPerMessage?: Record<string, number>;
  /** Redis server CPU (user + system, `INFO cpu`) per message, in µs: is the server or the client the limit? */
  redisCpuUsPerMessage?: number;
  profile?: ProfileSummary;
  /** Figures beyond msgs/s and latency (drain time, RSS per subscriber, storm commands), by name. */
  figures?: Record<string, number>;
}

/** A target of the issue and whether this run met it. */
export interface TargetCheck {
  name: string;
  target: string;
  actual: string;
  met: boolean | null;
}

/** The machine a run came from, so figures are read in context. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGB: number;
  platform: string;
  node: string;
  redis: string;
  /** 1-minute load average when the run started and ended: other work on the machine skews everything. */
  loadAvgStart: number;
  loadAvgEnd?: number;
}

/** What one `pnpm bench` run writes to `results/<timestamp>.json` and `results/latest.json`. */
export interface BenchResult {
  version: 1;
  startedAt: string;
  finishedAt: string;
  options: Record<string, unknown>;
  machine: MachineInfo;
  scenarios: ScenarioResult[];
  targets: TargetCheck[];
}

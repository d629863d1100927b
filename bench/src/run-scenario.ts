import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { ChildJob } from './child-protocol.js';
import { runChild } from './child-runner.js';
import type { BenchOptions } from './options.js';
import { summarizeProfile } from './profile-summary.js';
import { formatRate, type ProgressBar } from './progress-bar.js';
import { commandsPerMessage, redisCpuSeconds, resetCommandStats } from './redis-admin.js';
import type { ScenarioResult } from './results.js';
import { toMB } from './rss-sampler.js';
import { isUnavailable } from './unavailable.js';

/** What the run gives every scenario: the server, the options, the bar, and the rows so far. */
export interface RunContext {
  redis: Redis;
  url: string;
  stream: string;
  group: string;
  options: BenchOptions;
  bar: ProgressBar;
  results: ScenarioResult[];
}

/** One scenario to measure: a row's identity, the server state it needs, and the child job that measures it. */
export interface ScenarioSpec {
  id: string;
  section: number;
  title: string;
  kind: ScenarioResult['kind'];
  baseline?: string;
  offeredRate?: number;
  /** Puts the server in the state the job needs (not measured). */
  prepare?: () => Promise<void>;
  job: ChildJob;
  /** How long the child may take before it is killed. */
  timeoutMs: number;
}

/** True when `--only` (prefix match) selects this scenario id. */
export function selected(options: BenchOptions, id: string): boolean {
  return options.only.length === 0 || options.only.some((prefix) => id.startsWith(prefix));
}

/** A row for a scenario that could not run, with the reason. */
export function skippedRow(spec: Pick<ScenarioSpec, 'id' | 'section' | 'title' | 'kind'>, note: string) {
  const row: ScenarioResult = { ...spec, status: 'skipped', note, messages: 0, elapsedMs: 0, msgsPerSec: 0 };
  return row;
}

/**
 * Prepares the server, zeroes its command counters, runs the job in a fresh child, and turns what came back
 * (outcome, RSS, commands per message, profile) into a row. A failure becomes a `failed` row, never a crash.
 */
export async function runScenario(ctx: RunContext, spec: ScenarioSpec): Promise<ScenarioResult> {
  const profiled = ctx.options.profile && !spec.id.startsWith('raw-');
  const profileFile = profiled ? join(ctx.options.outDir, 'profiles', `${spec.id}.cpuprofile`) : undefined;
  const job = profileFile ? { ...spec.job, profileFile } : spec.job;
  const label = `[${spec.section}] ${spec.id}`;
  let row: ScenarioResult;
  try {
    ctx.bar.begin(label);
    await spec.prepare?.();
    await resetCommandStats(ctx.redis);
    const cpuBefore = await redisCpuSeconds(ctx.redis);
    const report = await runChild(
      job,
      (done, total, rss) => ctx.bar.update(done, total, rss),
      spec.timeoutMs,
    );
    const { outcome, rss } = report;
    // Includes the child's set-up and wind-down, so it slightly overstates the measured phase's share.
    const redisCpu = (await redisCpuSeconds(ctx.redis)) - cpuBefore;
    row = {
      id: spec.id,
      section: spec.section,
      title: spec.title,
      kind: spec.kind,
      status: 'ok',
      messages: outcome.messages,
      elapsedMs: Math.round(outcome.elapsedMs),
      msgsPerSec: Math.round(outcome.messages / (outcome.elapsedMs / 1000)),
      ...(spec.baseline ? { baseline: spec.baseline } : {}),
      ...(spec.offeredRate ? { offeredRate: Math.round(spec.offeredRate) } : {}),
      ...(outcome.latency ? { latency: outcome.latency } : {}),
      ...(outcome.note ? { note: outcome.note } : {}),
      ...(outcome.figures ? { figures: outcome.figures } : {}),
      rss: {
        startMB: toMB(rss.startBytes),
        endMB: toMB(rss.endBytes),
        maxMB: toMB(rss.maxBytes),
        maxHeapMB: toMB(rss.maxHeapTotalBytes),
        ...(rss.timeline ? { timeline: downsample(rss.timeline, 400) } : {}),
      },
      commandsPerMessage: await commandsPerMessage(ctx.redis, outcome.messages),
      redisCpuUsPerMessage: Math.round(((redisCpu * 1e6) / Math.max(1, outcome.messages)) * 10) / 10,
    };
    if (profileFile) row.profile = summarizeProfile(profileFile);
    ctx.bar.end(
      `${formatRate(row.msgsPerSec)} msgs/s` +
        (row.latency ? `, p99 ${row.latency.p99Ms.toFixed(2)} ms` : '') +
        `, peak RSS ${row.rss?.maxMB} MB`,
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unavailable = isUnavailable(message);
    ctx.bar.end(`${unavailable ? 'skipped' : 'FAILED'}: ${message}`);
    row = { ...skippedRow(spec, message), status: unavailable ? 'skipped' : 'failed' };
  }
  ctx.results.push(row);
  return row;
}

/** Keeps at most `max` points of a timeline, always including the last. */
function downsample(points: [number, number][], max: number): [number, number][] {
  if (points.length <= max) return points;
  const step = points.length / max;
  const kept: [number, number][] = [];
  for (let i = 0; i < max - 1; i++) kept.push(points[Math.floor(i * step)]!);
  kept.push(points[points.length - 1]!);
  return kept;
}

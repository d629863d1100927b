import type { ScenarioResult, TargetCheck } from './results.js';

const pct = (ratio: number | undefined) => (ratio === undefined ? 'n/a' : `${(ratio * 100).toFixed(0)} %`);

/** MB growth over the soak's last three quarters that still counts as flat (GC sawtooth, allocator slack). */
export const FLAT_TOLERANCE_MB = 10;

/** RSS at the end minus RSS a quarter into the soak: growth once warm. */
export function soakGrowthMB(row: ScenarioResult): number | undefined {
  const timeline = row.rss?.timeline;
  if (!timeline || timeline.length < 4) return undefined;
  const quarter = timeline[Math.floor(timeline.length / 4)]![1];
  return Math.round((timeline[timeline.length - 1]![1] - quarter) * 10) / 10;
}

/** Checks the targets against the rows; `met: null` when the row that decides it did not run. */
export function checkTargets(rows: readonly ScenarioResult[]): TargetCheck[] {
  const ok = (id: string) => rows.find((r) => r.id === id && r.status === 'ok');
  const checks: TargetCheck[] = [];
  const ratioTarget = (name: string, id: string, min: number) => {
    const row = ok(id);
    checks.push({
      name,
      target: `≥ ${min * 100} % of ${row?.baseline ?? 'raw'}`,
      actual: pct(row?.ratio),
      met: row?.ratio === undefined ? null : row.ratio >= min,
    });
  };
  ratioTarget('publisher (validation only)', 'publisher', 0.9);
  ratioTarget('publisher (defaults)', 'publisher-defaults', 0.6);
  for (const row of rows.filter((r) => /^consumer-noop-c\d+$/.test(r.id))) {
    const concurrency = Number(row.id.slice('consumer-noop-c'.length));
    const wanted = concurrency <= 1 ? 0.25 : concurrency < 64 ? 0.6 : 0.8;
    ratioTarget(`consumer no-op, ${row.title.replace(/^.*concurrency/, 'concurrency')}`, row.id, wanted);
  }
  ratioTarget('full path', 'full-path', 0.3);
  const full = ok('full-path');
  const rawConsume = ok('raw-consume');
  const last = checks[checks.length - 1];
  if (last && full?.redisCpuUsPerMessage && rawConsume?.msgsPerSec) {
    // The server's own ceiling: one Redis core, and this much of it per completion.
    const ceiling = 1e6 / full.redisCpuUsPerMessage;
    last.actual += ` (Redis CPU ${full.redisCpuUsPerMessage} µs/completion: one Redis core does at most ${Math.round(ceiling).toLocaleString('en-US')}/s = ${pct(ceiling / rawConsume.msgsPerSec)})`;
  }

  const latency = ok('latency-1000');
  checks.push({
    name: 'p99 at 1 000/s',
    target: '≤ 2 ms',
    actual: latency?.latency ? `${latency.latency.p99Ms.toFixed(2)} ms` : 'n/a',
    met: latency?.latency ? latency.latency.p99Ms <= 2 : null,
  });

  const endToEnd = ok('end-to-end-1000');
  checks.push({
    name: 'end to end p99 at 1 000/s (publish → browser)',
    target: '≤ 5 ms',
    actual: endToEnd?.latency ? `${endToEnd.latency.p99Ms.toFixed(2)} ms` : 'n/a',
    met: endToEnd?.latency ? endToEnd.latency.p99Ms <= 5 : null,
  });
  const watchers = ok('watchers')?.figures;
  checks.push({
    name: `${watchers?.subscribers?.toLocaleString('en-US') ?? '10 000'} watchers: RSS of the chat-API process`,
    target: '≤ 300 MB',
    actual: watchers
      ? `${watchers.rssConnectedMB} MB connected (${watchers.rssPerSubscriberKB} KB each), ${watchers.stormPeakRssMB} MB at the storm's peak`
      : 'n/a',
    met: watchers ? (watchers.rssConnectedMB ?? 0) <= 300 : null,
  });
  checks.push({
    name: 'reconnect storm caught up, no gap, no duplicate',
    target: '≤ 2 s',
    actual: watchers
      ? `${watchers.stormCatchUpMs} ms, ${watchers.gaps} gaps, ${watchers.duplicates} duplicates`
      : 'n/a',
    met: watchers
      ? (watchers.stormCatchUpMs ?? 0) <= 2000 && watchers.gaps === 0 && watchers.duplicates === 0
      : null,
  });

  const memoryRows = rows.filter(
    (r) => r.status === 'ok' && (r.id.startsWith('consumer-') || r.id === 'full-path' || r.kind === 'soak'),
  );
  const peak = Math.max(0, ...memoryRows.map((r) => r.rss?.maxMB ?? 0));
  checks.push({
    name: 'peak RSS of the consuming process (3, 4, soak)',
    target: '≤ 150 MB',
    actual: memoryRows.length ? `${peak} MB` : 'n/a',
    met: memoryRows.length ? peak <= 150 : null,
  });
  const soak = ok('soak');
  const growth = soak ? soakGrowthMB(soak) : undefined;
  checks.push({
    name: 'RSS flat over the soak',
    target: `grows ≤ ${FLAT_TOLERANCE_MB} MB after the first quarter`,
    actual: growth === undefined ? 'n/a' : `${growth >= 0 ? '+' : ''}${growth} MB`,
    met: growth === undefined ? null : growth <= FLAT_TOLERANCE_MB,
  });
  return checks;
}

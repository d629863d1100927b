import type { BenchResult, ScenarioResult } from './results.js';

const num = (n: number) => n.toLocaleString('en-US');
const ms = (v: number | undefined) => (v === undefined ? '' : v < 10 ? v.toFixed(2) : v.toFixed(1));

/** `xadd 1, evalsha 1` — the commands Redis ran per message, heaviest first, tiny ones folded. */
export function formatCommands(perMessage: Record<string, number> | undefined): string {
  if (!perMessage) return '';
  const entries = Object.entries(perMessage).sort((a, b) => b[1] - a[1]);
  const shown = entries.filter(([, v]) => v >= 0.001).map(([k, v]) => `${k} ${v}`);
  const total = entries.reduce((sum, [, v]) => sum + v, 0);
  return `${Math.round(total * 1000) / 1000}: ${shown.join(', ')}`;
}

function row(r: ScenarioResult): string[] {
  if (r.status !== 'ok')
    return [
      String(r.section),
      r.title,
      r.status,
      '',
      '',
      '',
      '',
      '',
      '',
      '',
      '',
      r.note?.split('\n')[0] ?? '',
    ];
  const ratio = r.ratio === undefined ? '' : `${(r.ratio * 100).toFixed(0)} % of ${r.baseline}`;
  return [
    String(r.section),
    `${r.id}: ${r.title}${r.offeredRate ? ` (${num(r.offeredRate)}/s offered)` : ''}`,
    num(r.messages),
    num(r.msgsPerSec),
    ratio,
    ms(r.latency?.p50Ms),
    ms(r.latency?.p99Ms),
    ms(r.latency?.p999Ms),
    r.rss ? `${r.rss.maxMB} (heap ${r.rss.maxHeapMB})` : '',
    r.kind === 'soak' && r.rss ? `${r.rss.startMB} → ${r.rss.endMB}` : '',
    r.redisCpuUsPerMessage === undefined ? '' : String(r.redisCpuUsPerMessage),
    formatCommands(r.commandsPerMessage),
  ];
}

function markdownTable(header: string[], rows: string[][]): string {
  const escapeCell = (cell: string) => cell.replace(/\|/g, '\\|');
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i >= 2 && i <= 10 ? '--:' : '---')).join(' | ')} |`,
    ...rows.map((cells) => `| ${cells.map(escapeCell).join(' | ')} |`),
  ].join('\n');
}

/** The machine line, the results table and the targets table, as Markdown (readable in a terminal too). */
export function renderReport(result: BenchResult): string {
  const m = result.machine;
  const machine =
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGB} GB, ${m.platform}; Node ${m.node}; Redis ${m.redis}; ` +
    `load average ${m.loadAvgStart}${m.loadAvgEnd === undefined ? '' : ` → ${m.loadAvgEnd}`}. ` +
    `N = ${num(Number(result.options.n))}, batch ${result.options.batchSize}, run ${result.startedAt}.`;
  const results = markdownTable(
    [
      '#',
      'scenario',
      'msgs',
      'msgs/s',
      'ratio',
      'p50 ms',
      'p99 ms',
      'p99.9 ms',
      'peak RSS (V8 heap) MB',
      'RSS start → end',
      'Redis CPU µs / msg',
      'Redis commands / msg',
    ],
    result.scenarios.map(row),
  );
  const targets = markdownTable(
    ['target', 'wanted', 'measured', 'met'],
    result.targets.map((t) => [
      t.name,
      t.target,
      t.actual,
      t.met === null ? 'not run' : t.met ? 'yes' : 'NO',
    ]),
  );
  const figures = result.scenarios
    .filter((r) => r.status === 'ok' && r.figures)
    .map(
      (r) =>
        `- ${r.id}: ${Object.entries(r.figures!)
          .map(([k, v]) => `${k} ${num(v)}`)
          .join(', ')}`,
    );
  const more = figures.length ? `\n\n${figures.join('\n')}` : '';
  return `${machine}\n\n${results}${more}\n\n${targets}\n`;
}

/** Where each profiled scenario spent its CPU time, as a short Markdown section. */
export function renderProfiles(result: BenchResult): string {
  const parts: string[] = [];
  for (const r of result.scenarios) {
    if (!r.profile) continue;
    const areas = Object.entries(r.profile.byArea)
      .slice(0, 8)
      .map(([a, p]) => `${a} ${p} %`)
      .join(', ');
    const top = r.profile.top.map((t) => `  - ${t.selfPct} % ${t.fn} (${t.where})`).join('\n');
    parts.push(`- ${r.id} (${r.profile.file}): ${areas}\n${top}`);
  }
  return parts.length ? `CPU profiles (share of non-idle samples):\n${parts.join('\n')}\n` : '';
}

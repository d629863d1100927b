import type { BenchResult, ScenarioResult } from './results.js';

const WIDTH = 960;
const LABEL_W = 250;
const BAR_W = 520;
const ROW_H = 22;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';
const COLORS = {
  baseline: '#94a3b8',
  produce: '#3b82f6',
  consume: '#10b981',
  p50: '#60a5fa',
  p99: '#f59e0b',
  p999: '#ef4444',
  rss: '#8b5cf6',
};

interface Bar {
  label: string;
  value: number;
  color: string;
  text: string;
}

interface Marker {
  value: number;
  label: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (n: number) => n.toLocaleString('en-US');

/** A titled panel of horizontal bars (linear or log10 scale) with optional dashed target lines. */
function barPanel(
  y0: number,
  title: string,
  bars: Bar[],
  scale: 'linear' | 'log',
  markers: Marker[] = [],
): { svg: string; height: number } {
  const values = [...bars.map((b) => b.value), ...markers.map((m) => m.value)].filter((v) => v > 0);
  const max = Math.max(...values, 1e-9);
  const min = Math.min(...values, max);
  const lo = scale === 'log' ? 10 ** Math.floor(Math.log10(min)) : 0;
  const hi = scale === 'log' ? 10 ** Math.ceil(Math.log10(max)) : max * 1.05;
  const x = (v: number) =>
    scale === 'log'
      ? ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo) || 1)) * BAR_W
      : (v / hi) * BAR_W;
  const top = y0 + 28;
  const parts = [`<text x="16" y="${y0 + 18}" font-size="15" font-weight="600">${esc(title)}</text>`];
  bars.forEach((bar, i) => {
    const y = top + i * ROW_H;
    const w = Math.max(1, x(bar.value));
    parts.push(
      `<text x="${LABEL_W - 8}" y="${y + 15}" font-size="12" text-anchor="end">${esc(bar.label)}</text>`,
      `<rect x="${LABEL_W}" y="${y + 3}" width="${w.toFixed(1)}" height="${ROW_H - 6}" fill="${bar.color}" rx="2"/>`,
      `<text x="${LABEL_W + w + 6}" y="${y + 15}" font-size="12">${esc(bar.text)}</text>`,
    );
  });
  const bottom = top + bars.length * ROW_H;
  if (scale === 'log')
    for (let d = lo; d <= hi * 1.0001; d *= 10)
      parts.push(
        `<line x1="${LABEL_W + x(d)}" y1="${top}" x2="${LABEL_W + x(d)}" y2="${bottom}" stroke="#e2e8f0"/>`,
        `<text x="${LABEL_W + x(d)}" y="${bottom + 13}" font-size="10" fill="#64748b" text-anchor="middle">${d >= 1 ? d : d.toFixed(Math.round(-Math.log10(d)))} ms</text>`,
      );
  for (const m of markers) {
    const mx = LABEL_W + x(m.value);
    parts.push(
      `<line x1="${mx}" y1="${top}" x2="${mx}" y2="${bottom + 4}" stroke="#dc2626" stroke-dasharray="4 3"/>`,
      `<text x="${mx + 3}" y="${bottom + (scale === 'log' ? 24 : 14)}" font-size="10" fill="#dc2626">${esc(m.label)}</text>`,
    );
  }
  const below = (scale === 'log' ? 16 : 0) + (markers.length ? 14 : 0);
  return { svg: parts.join('\n'), height: bottom - y0 + below + 6 };
}

/** A process's RSS over time as a line, with a target line at `targetMB`. */
function timelinePanel(
  y0: number,
  row: ScenarioResult,
  title: string,
  targetMB: number,
): { svg: string; height: number } {
  const points = row.rss?.timeline ?? [];
  const h = 140;
  const top = y0 + 28;
  const tMax = Math.max(1, ...points.map((p) => p[0]));
  const mMax = Math.max(targetMB * 1.07, ...points.map((p) => p[1])) * 1.05;
  const px = (t: number) => LABEL_W + (t / tMax) * BAR_W;
  const py = (mb: number) => top + h - (mb / mMax) * h;
  const path = points
    .map(([t, mb], i) => `${i ? 'L' : 'M'}${px(t).toFixed(1)},${py(mb).toFixed(1)}`)
    .join('');
  const parts = [
    `<text x="16" y="${y0 + 18}" font-size="15" font-weight="600">${esc(title)}</text>`,
    `<rect x="${LABEL_W}" y="${top}" width="${BAR_W}" height="${h}" fill="none" stroke="#e2e8f0"/>`,
    `<line x1="${LABEL_W}" y1="${py(targetMB)}" x2="${LABEL_W + BAR_W}" y2="${py(targetMB)}" stroke="#dc2626" stroke-dasharray="4 3"/>`,
    `<text x="${LABEL_W + BAR_W + 4}" y="${py(targetMB) + 4}" font-size="10" fill="#dc2626">${targetMB} MB target</text>`,
    `<path d="${path}" fill="none" stroke="${COLORS.rss}" stroke-width="1.5"/>`,
    `<text x="${LABEL_W - 8}" y="${top + 10}" font-size="10" text-anchor="end" fill="#64748b">${Math.round(mMax)} MB</text>`,
    `<text x="${LABEL_W - 8}" y="${top + h}" font-size="10" text-anchor="end" fill="#64748b">0</text>`,
    `<text x="${LABEL_W + BAR_W}" y="${top + h + 13}" font-size="10" text-anchor="end" fill="#64748b">${Math.round(tMax)} s</text>`,
    `<text x="${LABEL_W}" y="${top + h + 13}" font-size="10" fill="#64748b">start ${row.rss?.startMB} MB · end ${row.rss?.endMB} MB · max ${row.rss?.maxMB} MB</text>`,
  ];
  return { svg: parts.join('\n'), height: h + 50 };
}

const SERIES = ['#94a3b8', '#3b82f6', '#f59e0b', '#ef4444', '#10b981'];

/** Latency histograms side by side: the share of each row's samples per bucket (publish → browser and its floor). */
function histogramPanel(y0: number, rows: ScenarioResult[]): { svg: string; height: number } {
  const h = 150;
  const top = y0 + 28 + rows.length * 14;
  const buckets = rows[0]!.latency!.buckets!;
  const slot = (BAR_W + 150) / buckets.length;
  const barW = Math.max(2, (slot - 4) / rows.length);
  const parts = [
    `<text x="16" y="${y0 + 18}" font-size="15" font-weight="600">Latency histogram, share of samples per bucket (ms)</text>`,
  ];
  rows.forEach((r, k) => {
    const l = r.latency!;
    parts.push(
      `<rect x="${LABEL_W}" y="${y0 + 26 + k * 14}" width="10" height="10" fill="${SERIES[k % SERIES.length]}"/>`,
      `<text x="${LABEL_W + 14}" y="${y0 + 35 + k * 14}" font-size="11">${esc(`${r.section}. ${r.id} @ ${fmt(r.offeredRate ?? 0)}/s: p50 ${l.p50Ms.toFixed(2)}, p99 ${l.p99Ms.toFixed(2)}, p99.9 ${l.p999Ms.toFixed(2)} ms`)}</text>`,
    );
  });
  const x0 = LABEL_W - 100;
  parts.push(
    `<line x1="${x0}" y1="${top + h}" x2="${x0 + slot * buckets.length}" y2="${top + h}" stroke="#94a3b8"/>`,
  );
  buckets.forEach((bucket, i) => {
    rows.forEach((r, k) => {
      const count = r.latency!.buckets![i]?.count ?? 0;
      const share = count / Math.max(1, r.latency!.count);
      const bh = share * h;
      parts.push(
        `<rect x="${(x0 + i * slot + 2 + k * barW).toFixed(1)}" y="${(top + h - bh).toFixed(1)}" width="${barW.toFixed(1)}" height="${bh.toFixed(1)}" fill="${SERIES[k % SERIES.length]}"/>`,
      );
    });
    const label = bucket.upToMs === null ? `> ${buckets[i - 1]?.upToMs ?? 0}` : `≤ ${bucket.upToMs}`;
    parts.push(
      `<text x="${(x0 + i * slot + slot / 2).toFixed(1)}" y="${top + h + 13}" font-size="9" fill="#64748b" text-anchor="middle">${esc(label)}</text>`,
    );
  });
  return { svg: parts.join('\n'), height: top - y0 + h + 24 };
}

/**
 * Renders a run as one self-contained SVG: throughput bars with the ratio to the raw ceiling, latency
 * percentiles on a log scale with the 2 ms target, peak RSS per consuming scenario, and the soak's RSS line.
 */
export function renderSvg(result: BenchResult): string {
  const ok = result.scenarios.filter((r) => r.status === 'ok');
  const sections: string[] = [];
  let y = 48;
  const add = (panel: { svg: string; height: number }) => {
    sections.push(panel.svg);
    y += panel.height + 16;
  };

  const throughput = ok.filter((r) => r.kind === 'produce' || r.kind === 'consume');
  if (throughput.length)
    add(
      barPanel(
        y,
        'Throughput, messages per second (ratio to the raw ceiling)',
        throughput.map((r) => ({
          label: `${r.section}. ${r.id}`,
          value: r.msgsPerSec,
          color: r.id.startsWith('raw-')
            ? COLORS.baseline
            : r.kind === 'produce'
              ? COLORS.produce
              : COLORS.consume,
          text: `${fmt(r.msgsPerSec)}/s${r.ratio === undefined ? '' : ` (${(r.ratio * 100).toFixed(0)} %)`}`,
        })),
        'linear',
      ),
    );

  const latency = ok.filter((r) => r.latency);
  if (latency.length)
    add(
      barPanel(
        y,
        'Latency, ms (log scale): p50, p99, p99.9 — publish → handled (5), publish → browser (8, 10)',
        latency.flatMap((r) => {
          const l = r.latency!;
          const name = `${r.section}. ${r.id} @ ${fmt(r.offeredRate ?? 0)}/s`;
          return [
            { label: `${name} p50`, value: l.p50Ms, color: COLORS.p50, text: `${l.p50Ms.toFixed(2)} ms` },
            { label: 'p99', value: l.p99Ms, color: COLORS.p99, text: `${l.p99Ms.toFixed(2)} ms` },
            { label: 'p99.9', value: l.p999Ms, color: COLORS.p999, text: `${l.p999Ms.toFixed(2)} ms` },
          ];
        }),
        'log',
        [
          { value: 2, label: '2 ms' },
          { value: 5, label: '5 ms end-to-end p99 target' },
        ],
      ),
    );

  const memory = ok.filter(
    (r) => r.rss && (r.kind === 'consume' || r.kind === 'soak') && !r.id.startsWith('raw-'),
  );
  if (memory.length)
    add(
      barPanel(
        y,
        'Peak RSS of the consuming process, MB',
        memory.map((r) => ({
          label: `${r.section}. ${r.id}`,
          value: r.rss!.maxMB,
          color: COLORS.rss,
          text: `${r.rss!.maxMB} MB`,
        })),
        'linear',
        [{ value: 150, label: '150 MB target' }],
      ),
    );

  const soak = ok.find((r) => r.kind === 'soak' && r.rss?.timeline);
  if (soak)
    add(
      timelinePanel(
        y,
        soak,
        `RSS of the consuming process over the soak (${fmt(soak.offeredRate ?? 0)}/s offered)`,
        150,
      ),
    );

  const histograms = ok.filter((r) => r.latency?.buckets && r.latency.count > 0);
  if (histograms.length) add(histogramPanel(y, histograms));

  const watchers = ok.find((r) => r.kind === 'watchers' && r.rss?.timeline);
  if (watchers)
    add(
      timelinePanel(
        y,
        watchers,
        `RSS of the chat-API process: ${fmt(watchers.figures?.subscribers ?? 0)} watchers connect, fan-out, storm`,
        300,
      ),
    );

  const m = result.machine;
  const caption = `${m.cpuModel}, ${m.cores} cores, ${m.memoryGB} GB · Node ${m.node} · Redis ${m.redis} · N = ${fmt(Number(result.options.n))} · ${result.startedAt}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" ${FONT} fill="#0f172a">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="18" font-weight="700">Completion pipeline benchmark</text>`,
    `<text x="16" y="40" font-size="11" fill="#64748b">${esc(caption)}</text>`,
    ...sections,
    '</svg>',
    '',
  ].join('\n');
}

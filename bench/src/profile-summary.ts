import { readFileSync } from 'node:fs';
import type { ProfileSummary } from './results.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const IDLE = new Set(['(idle)', '(program)']);

/** Which part of the stack a function belongs to, from its script URL. */
function areaOf(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'GC';
  if (!url) return 'V8/native';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/.exec(url)?.[1];
  const workspace = /\/(packages|apps)\/([^/]+)\//.exec(url)?.[2];
  if (workspace && !url.includes('/node_modules/')) return `@chat/${workspace}`;
  if (pkg?.startsWith('@chat/')) return pkg;
  if (/\/packages\/([^/]+)\//.test(url)) return `@chat/${/\/packages\/([^/]+)\//.exec(url)?.[1]}`;
  if (pkg) return pkg;
  if (url.includes('/bench/')) return 'bench harness';
  return 'other';
}

/**
 * Reads a `.cpuprofile` and says where the non-idle CPU time went: per area (our packages, ioredis, node's
 * net/stream internals, GC…) and the heaviest functions by self time.
 */
export function summarizeProfile(file: string, topN = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
  let busy = 0;
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, { fn: string; where: string; hits: number }>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    if (hits === 0 || IDLE.has(functionName)) continue;
    busy += hits;
    const area = areaOf(url, functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + hits);
    const fn = functionName || '(anonymous)';
    const where = url
      ? `${url.replace(/^.*\/(node_modules|packages|apps|bench)\//, '$1/')}:${lineNumber + 1}`
      : '';
    const key = `${fn} ${where}`;
    const entry = byFunction.get(key) ?? { fn, where, hits: 0 };
    entry.hits += hits;
    byFunction.set(key, entry);
  }
  const pct = (hits: number) => Math.round((hits / Math.max(1, busy)) * 1000) / 10;
  return {
    file,
    byArea: Object.fromEntries([...byArea].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, pct(v)])),
    top: [...byFunction.values()]
      .sort((a, b) => b.hits - a.hits)
      .slice(0, topN)
      .map(({ fn, where, hits }) => ({ fn, where, selfPct: pct(hits) })),
  };
}

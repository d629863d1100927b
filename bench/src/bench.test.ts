import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from './options.js';
import { pairedMaxRate } from './plan.js';
import type { BenchResult } from './results.js';

const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

describe('bench options', () => {
  it('reads --n, BENCH_N and --quick, and lets explicit values win over --quick', () => {
    expect(parseBenchArgs([]).n).toBe(50_000);
    expect(parseBenchArgs([], { BENCH_N: '1234' }).n).toBe(1234);
    expect(parseBenchArgs(['--quick']).n).toBe(2_000);
    const quick = parseBenchArgs(['--quick', '--n=700', '--soak-seconds', '9']);
    expect([quick.n, quick.soakSeconds, quick.latencySeconds]).toEqual([700, 9, 2]);
    expect(() => parseBenchArgs(['--n', '0'])).toThrow(/positive integer/);
    expect(() => parseBenchArgs(['--bogus'])).toThrow(/unknown argument/);
  });
});

describe('the offered rate of "50 % of max"', () => {
  it('is paced by producer and consumer together: each costs its own time per message', () => {
    // 80k/s consuming and 70k/s producing, sharing the machine: 37.3k/s together, so 50 % is about 18.7k/s.
    expect(Math.round(pairedMaxRate(80_000, 70_000))).toBe(37_333);
    expect(pairedMaxRate(40_000, 40_000)).toBe(20_000);
    // No producer row (`--only` left it out): the consumer's rate alone, an upper bound.
    expect(pairedMaxRate(80_000)).toBe(80_000);
  });
});

describe('pnpm bench --quick', () => {
  it('runs every scenario end to end on its own redis-server and writes valid JSON, Markdown and SVG', {
    timeout: 170_000,
  }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'chat-bench-'));
    try {
      const args = [
        '--quick',
        '--n',
        '400',
        '--latency-seconds',
        '0.5',
        '--soak-seconds',
        '1',
        '--watchers',
        '100',
        '--backlog',
        '400',
        '--out',
        out,
      ];
      const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['--import', TSX, CLI, ...args],
          { timeout: 150_000 },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        );
      });
      expect(run.stderr).not.toMatch(/FAILED/);
      expect(run.code).toBe(0);

      const result = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as BenchResult;
      expect(result.machine.cores).toBeGreaterThan(0);
      expect(result.machine.redis).toMatch(/^\d+\.\d+/);
      const ids = result.scenarios.map((s) => s.id);
      expect(ids).toEqual([
        'raw-xadd',
        'raw-consume',
        'publisher',
        'publisher-defaults',
        'consumer-noop-c1',
        'consumer-noop-c16',
        'consumer-noop-c64',
        'consumer-noop-c1-prefetch0',
        'full-path',
        'latency-1000',
        'latency-half',
        'soak',
        'tracing-off',
        'tracing-on',
        'raw-roundtrip',
        'end-to-end-1000',
        'end-to-end-1000-r8',
        'end-to-end-half',
        'watchers',
        'backlog-drain',
      ]);
      for (const row of result.scenarios) {
        // A scenario may only be skipped for code that is not on this branch yet, never fail.
        if (row.status === 'skipped') expect(row.note).toMatch(/^unavailable:/);
        else expect(row.status, `${row.id}: ${row.note}`).toBe('ok');
        if (row.status !== 'ok') continue;
        expect(row.msgsPerSec).toBeGreaterThan(0);
        expect(row.rss?.maxMB).toBeGreaterThan(0);
        if (row.baseline) expect(row.ratio).toBeGreaterThan(0);
        if (row.kind === 'latency' || row.kind === 'soak') expect(row.latency?.count).toBeGreaterThan(0);
        if (row.kind === 'end-to-end') expect(row.latency?.buckets?.length).toBeGreaterThan(0);
      }
      // Every watcher got every chunk once, before and after the storm; the backlog drained.
      const watchers = result.scenarios.find((s) => s.id === 'watchers')?.figures;
      expect(watchers).toMatchObject({ subscribers: 100, gaps: 0, duplicates: 0 });
      // The storm's commands were counted: every reconnect checks its task (never reused, only shared while in
      // flight). Its replays may need no XRANGE at all (a head page read moments earlier, then the live tail reads
      // the missed chunks from each cursor), so the XRANGE count is reported, not asserted.
      expect(watchers?.stormHgetall).toBeGreaterThan(0);
      expect(result.scenarios.find((s) => s.id === 'backlog-drain')?.figures?.drainMs).toBeGreaterThan(0);
      expect(result.scenarios.find((s) => s.id === 'end-to-end-1000')?.messages).toBe(500);
      expect(result.scenarios.find((s) => s.id === 'soak')?.rss?.timeline?.length).toBeGreaterThan(3);

      const svg = readFileSync(join(out, 'latest.svg'), 'utf8');
      expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(svg).toContain('Throughput');
      expect(svg).toContain('Latency');
      expect(svg).toContain('Latency histogram');
      expect(svg).toContain('RSS of the chat-API process');
      expect(svg.trim().endsWith('</svg>')).toBe(true);
      expect(run.stdout).toContain('| 1 | raw-xadd: raw XADD, pipelined |');
      expect(readFileSync(join(out, 'latest.md'), 'utf8')).toContain('Machine:');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

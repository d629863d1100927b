// `pnpm bench`: starts a throwaway redis-server, runs every scenario, prints the table, writes JSON and SVG.
import { mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedis } from '@chat/testing';
import { Redis } from 'ioredis';
import { currentLoad, machineInfo } from './machine.js';
import { BenchUsageError, parseBenchArgs } from './options.js';
import { runPlan } from './plan.js';
import { ProgressBar } from './progress-bar.js';
import { redisVersion } from './redis-admin.js';
import { renderSvg } from './report-svg.js';
import { renderProfiles, renderReport } from './report-table.js';
import type { BenchResult, ScenarioResult } from './results.js';
import { checkTargets } from './targets.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Fills in each row's ratio to its baseline row, now that every row has run. */
function addRatios(rows: ScenarioResult[]): void {
  for (const row of rows) {
    const base = rows.find((r) => r.id === row.baseline && r.status === 'ok');
    if (row.status === 'ok' && base && base.msgsPerSec > 0)
      row.ratio = Math.round((row.msgsPerSec / base.msgsPerSec) * 1000) / 1000;
  }
}

async function main(): Promise<number> {
  let options: ReturnType<typeof parseBenchArgs>;
  try {
    options = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    console.error(error.message.trim());
    return 2;
  }
  const outDir = isAbsolute(options.outDir) ? options.outDir : resolve(PACKAGE_DIR, options.outDir);
  options.outDir = outDir;
  mkdirSync(join(outDir, 'profiles'), { recursive: true });

  const server = await startRedis();
  const redis = new Redis(server.url);
  const startedAt = new Date();
  const results: ScenarioResult[] = [];
  const machine = machineInfo(await redisVersion(redis));
  console.error(
    `bench: N=${options.n}, redis ${machine.redis} on ${server.url}, ${machine.cores} × ${machine.cpuModel}, load ${machine.loadAvgStart}`,
  );
  try {
    await runPlan({
      redis,
      url: server.url,
      stream: 'bench:completions',
      group: 'bench',
      options,
      bar: new ProgressBar(),
      results,
    });
  } finally {
    await redis.quit().catch(() => redis.disconnect());
    await server.stop({ removeData: true });
  }
  addRatios(results);
  machine.loadAvgEnd = currentLoad();
  const { outDir: _, ...recordedOptions } = options;
  const result: BenchResult = {
    version: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    options: recordedOptions,
    machine,
    scenarios: results,
    targets: checkTargets(results),
  };

  const json = `${JSON.stringify(result, null, 2)}\n`;
  const stamp = result.startedAt.replace(/[:.]/g, '-');
  writeFileSync(join(outDir, `${stamp}.json`), json);
  writeFileSync(join(outDir, 'latest.json'), json);
  writeFileSync(join(outDir, 'latest.svg'), renderSvg(result));
  writeFileSync(join(outDir, 'latest.md'), renderReport(result));
  console.log(renderReport(result));
  const profiles = renderProfiles(result);
  if (profiles) console.log(profiles);
  console.error(`wrote ${join(outDir, 'latest.json')}, latest.svg, latest.md and ${stamp}.json`);
  return results.some((r) => r.status === 'failed') ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

import { type RedisServer, startRedis } from '@chat/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChaos } from '../src/chaos-run.js';
import { faultScale } from '../src/scale.js';
import { summaryTable } from '../src/summary.js';

const scale = faultScale();
const WORKERS = 3;

describe(`crash and restart (${scale.name}: ${scale.completions} completions)`, () => {
  let server: RedisServer;
  beforeAll(async () => {
    // appendfsync always: an acknowledged XADD or task completion survives even a machine crash (see README).
    server = await startRedis({ appendOnly: true, appendFsync: 'always' });
  });
  afterAll(async () => {
    await server?.stop({ removeData: true });
  });

  it('loses nothing and completes nothing twice while workers are SIGKILLed and Redis restarts', async () => {
    const seed = Number(process.env.FAULT_SEED ?? Date.now() % 1_000_000);
    const report = await runChaos({
      server,
      completions: scale.completions,
      poison: 10,
      publishSpanMs: scale.publishSpanMs,
      faults: [
        { atFraction: 0.3, mode: 'stop', outageMs: 0 },
        { atFraction: 0.6, mode: 'stop', outageMs: scale.outageMs },
      ],
      killEveryMs: 2_000,
      // A worker killed just before a fault must be ready again before Redis goes, or it escapes the watch.
      killBeforeFaults: true,
      workers: WORKERS,
      settleTimeoutMs: scale.name === 'full' ? 300_000 : 120_000,
      seed,
      log: (line) => console.log(`[chaos] ${line}`),
    });
    console.log(`seed ${seed}\n${summaryTable(report, scale.name)}`);

    expect(report.settled).toBe(true);
    expect(report.audit.lost).toEqual([]);
    expect(report.audit.doubleCompleted).toEqual([]);
    // Kills inside continuations (the worker's continuation hook streams after every success) leave no chunk of a
    // dead owner after the takeover and every text part closed.
    expect(report.audit.brokenContinuations).toEqual([]);
    expect(report.audit.poisonCompleted).toEqual([]);
    expect(report.audit.pending).toBe(0);
    expect(report.audit.deadLetterMismatches).toEqual([]);
    expect(report.audit.deadLettered).toEqual({
      max_deliveries: 10,
      invalid_json: 3,
      missing_data_field: 3,
      schema_violation: 3,
      too_large: 3,
      unsupported_version: 3,
    });
    // At least the kill before each fault.
    expect(report.kills).toBeGreaterThanOrEqual(2);
    // Every slot's worker ran through each Redis restart (none still booting) and worked again as the same
    // process; after the long outage within 5 s.
    for (const restart of [1, 2]) {
      const after = report.recoveries.filter((r) => r.restart === restart);
      expect(after.map((r) => r.slot).sort((a, b) => a - b)).toEqual([...Array(WORKERS).keys()]);
      for (const r of after) {
        expect(r.sameProcess).toBe(true);
        expect(r.ms).not.toBeNull();
        if (restart === 2) expect(r.ms!).toBeLessThanOrEqual(5_000);
      }
    }
  });
});

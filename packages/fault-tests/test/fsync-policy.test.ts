import { startRedis } from '@chat/testing';
import { describe, expect, it } from 'vitest';
import { type ChaosReport, runChaos } from '../src/chaos-run.js';
import { faultScale } from '../src/scale.js';

const scale = faultScale();

/**
 * The same load under `appendfsync everysec` and `always`, with redis-server SIGKILLed twice mid-load (a crash,
 * not a clean stop): how many acknowledged effects are gone after the AOF replay, and what each policy costs.
 * `everysec` can lose acknowledged writes even when only the process dies: while a background fsync is still
 * running, Redis postpones writing its AOF buffer (up to 2 s) but still answers the clients. So only `always` is
 * asserted loss-free; the `everysec` figure is measured and printed.
 */
describe(`AOF fsync policy under Redis crashes (${scale.fsyncCompletions} completions per policy)`, () => {
  it('always loses no acknowledged effect when the redis-server process is killed; everysec is measured', async () => {
    const results: Record<string, ChaosReport> = {};
    for (const policy of ['everysec', 'always'] as const) {
      const server = await startRedis({ appendOnly: true, appendFsync: policy });
      try {
        results[policy] = await runChaos({
          server,
          completions: scale.fsyncCompletions,
          poison: 0,
          // As fast as the producer can: the run time then reflects the fsync cost.
          publishSpanMs: 0,
          faults: [
            { atFraction: 0.4, mode: 'kill', outageMs: 0 },
            { atFraction: 0.8, mode: 'kill', outageMs: 0 },
          ],
          killEveryMs: 0,
          workers: 3,
          settleTimeoutMs: 120_000,
          awaitDeadLetters: policy === 'always',
        });
      } finally {
        await server.stop({ removeData: true });
      }
    }
    const line = (policy: string) => {
      const r = results[policy]!;
      return `| ${policy.padEnd(8)} | ${r.messages.ordinary} | ${r.redisRestarts} | ${r.audit.lost.length} | ${r.audit.doubleCompleted.length} | ${r.duplicateDeliveries} | ${(r.processingMs / 1000).toFixed(1)} s |`;
    };
    console.log(
      [
        '| fsync    | completions | Redis SIGKILLs | lost acked effects | double-completed | duplicate deliveries | publish → end state |',
        '| -------- | ----------- | -------------- | ------------------ | ---------------- | -------------------- | ------------------- |',
        line('everysec'),
        line('always'),
      ].join('\n'),
    );
    for (const report of Object.values(results)) {
      expect(report.settled).toBe(true);
      // Whatever Redis forgets, nothing may complete twice.
      expect(report.audit.doubleCompleted).toEqual([]);
    }
    expect(results.always!.audit.lost).toEqual([]);
    expect(results.always!.audit.deadLetterMismatches).toEqual([]);
  });
});

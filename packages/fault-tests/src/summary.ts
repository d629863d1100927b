import type { ChaosReport } from './chaos-run.js';

/** The summary table of a chaos run, as Markdown, for the test output and the README. */
export function summaryTable(report: ChaosReport, scale: string): string {
  const { messages, audit } = report;
  const reasons = Object.entries(audit.deadLettered)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([reason, count]) => `${reason} ${count}`)
    .join(', ');
  const byRestart = new Map<number, number[]>();
  for (const r of report.recoveries)
    byRestart.set(r.restart, [...(byRestart.get(r.restart) ?? []), r.ms ?? Number.NaN]);
  const recovery = [...byRestart]
    .map(
      ([restart, ms]) =>
        `restart ${restart}: ${ms.map((m) => (Number.isNaN(m) ? 'none' : `${m} ms`)).join(' / ')}`,
    )
    .join('; ');
  const rows: [string, string][] = [
    ['scale', scale],
    [
      'messages',
      `${messages.ordinary + messages.poison + messages.malformed} (${messages.ordinary} ordinary, ${messages.poison} poison, ${messages.malformed} malformed)`,
    ],
    ['worker kills (SIGKILL)', `${report.kills} (${report.processes} worker processes in all)`],
    ['Redis restarts', String(report.redisRestarts)],
    ['lost', String(audit.lost.length)],
    ['double-completed', String(audit.doubleCompleted.length)],
    ['broken continuations', String(audit.brokenContinuations.length)],
    ['completions taken over (in the continuation)', `${report.takeovers} (${report.continuationTakeovers})`],
    ['pending at the end', String(audit.pending)],
    ['dead-lettered by reason', reasons || 'none'],
    ['dead-letter mismatches', String(audit.deadLetterMismatches.length)],
    ['duplicate deliveries (outcome=duplicate)', String(report.duplicateDeliveries)],
    [
      'worst recovery time',
      report.worstRecoveryMs === null ? 'not measured' : `${report.worstRecoveryMs} ms`,
    ],
    ['recovery per worker', recovery || '—'],
    [
      'run time',
      `${(report.durationMs / 1000).toFixed(1)} s (first publish to end state ${(report.processingMs / 1000).toFixed(1)} s)`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    `| ${'measure'.padEnd(width)} | value |`,
    `| ${'-'.repeat(width)} | ----- |`,
    ...rows.map(([k, v]) => `| ${k.padEnd(width)} | ${v} |`),
  ].join('\n');
}

import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CompletionSummary } from './completion-summary.js';

/** A real pino logger at `level` whose JSON lines are collected. */
function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}

describe('CompletionSummary', () => {
  it('logs each completion at debug only, and one info summary per period with counts by outcome and tool', () => {
    const { logger, lines } = capture('info');
    // A period far longer than the test: flush() and close() end periods here, not the timer.
    const summary = new CompletionSummary(logger, 3_600_000);
    summary.record('completed', 't1', 'create_agent');
    summary.record('completed', 't2', 'edit_agent');
    summary.record('duplicate', 't1', 'create_agent');
    summary.record('failed', 't3', 'create_agent');
    expect(lines).toEqual([]);
    summary.flush();
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'completions summary',
        total: 4,
        completed: 2,
        duplicate: 1,
        failed: 1,
        byTool: { create_agent: 3, edit_agent: 1 },
        periodMs: expect.any(Number),
      }),
    ]);
    summary.flush();
    expect(lines).toHaveLength(1);
    summary.record('completed', 't4', 'create_agent');
    summary.close();
    expect(lines.at(-1)).toMatchObject({ msg: 'completions summary', total: 1, completed: 1 });
  });

  it('at debug, every completion has its own line', () => {
    const { logger, lines } = capture('debug');
    const summary = new CompletionSummary(logger, 3_600_000);
    summary.record('completed', 't1', 'create_agent');
    summary.close();
    expect(lines.map((l) => l.msg)).toEqual(['completion settled', 'completions summary']);
    expect(lines[0]).toMatchObject({ level: 20, outcome: 'completed', taskId: 't1', tool: 'create_agent' });
  });
});

import { describe, expect, it } from 'vitest';
import { intFlag, timeFlag } from './cli-args.js';
import { UsageError } from './errors.js';
import { formatDuration, progressBar, renderTable } from './table.js';

describe('CLI formatting', () => {
  it('pads columns to their widest cell, numbers to the right', () => {
    expect(
      renderTable(
        [{ title: 'NAME' }, { title: 'N', right: true }],
        [
          ['a', '1'],
          ['long-name', '200'],
        ],
      ),
    ).toBe('NAME         N\na            1\nlong-name  200');
  });

  it('reads durations the way a person does', () => {
    expect([850, 12_340, 245_000, 7_980_000, 273_600_000, null].map(formatDuration)).toEqual([
      '850ms',
      '12.3s',
      '4m05s',
      '2h13m',
      '3d04h',
      '-',
    ]);
  });

  it('draws the progress bar from done and total', () => {
    expect(progressBar(1, 4, 8)).toBe('[##......] 1/4');
    expect(progressBar(4, 4, 8)).toBe('[########] 4/4');
  });

  it('takes relative, ISO and epoch times; refuses anything else with the flag named', () => {
    const now = Date.parse('2026-01-31T12:00:00Z');
    expect(timeFlag('since', '2h', now)).toBe(now - 7_200_000);
    expect(timeFlag('since', '2026-01-30T00:00:00Z', now)).toBe(Date.parse('2026-01-30T00:00:00Z'));
    expect(timeFlag('since', '1700000000000', now)).toBe(1_700_000_000_000);
    expect(() => timeFlag('until', 'tomorrow', now)).toThrow(/^--until: expected a time/);
    expect(() => intFlag('limit', '0', 50, 1)).toThrow(UsageError);
    expect(intFlag('limit', undefined, 50, 1)).toBe(50);
  });
});

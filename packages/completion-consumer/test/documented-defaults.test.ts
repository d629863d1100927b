import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONSUMER_OPTIONS } from '../src/index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const optionsSource = readFileSync(new URL('../src/options.ts', import.meta.url), 'utf8');

/** Documented option name → key of {@link DEFAULT_CONSUMER_OPTIONS}. */
const DOCUMENTED: Record<string, keyof typeof DEFAULT_CONSUMER_OPTIONS> = {
  stream: 'stream',
  group: 'group',
  concurrency: 'concurrency',
  prefetch: 'prefetch',
  maxDeliveries: 'maxDeliveries',
  claimIdleMs: 'claimIdleMs',
  claimIntervalMs: 'claimIntervalMs',
  blockMs: 'blockMs',
  backoff: 'backoff',
  reconnectBackoff: 'reconnectBackoff',
  shutdownTimeoutMs: 'shutdownTimeoutMs',
  consumerTimeoutMs: 'consumerTimeoutMs',
  'deadLetter.maxLen': 'deadLetterMaxLen',
  ackFlushMs: 'ackFlushMs',
  maxMessageBytes: 'maxMessageBytes',
};

/** A default as the docs write it: numbers plain, objects as `{ key: value, ... }`. */
function written(value: unknown): string {
  if (typeof value === 'object' && value !== null)
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${k}: ${written(v)}`)
      .join(', ')} }`;
  return String(value);
}

/** The first code span of the default column of the README options table, by option. */
function readmeDefaults(): Map<string, string> {
  const defaults = new Map<string, string>();
  for (const line of readme.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const option = /^`([\w.]+)`$/.exec(cells[1] ?? '')?.[1];
    const value = /`([^`]+)`/.exec(cells[2] ?? '')?.[1];
    if (option && value) defaults.set(option, value);
  }
  return defaults;
}

/** `@defaultValue` text of each member of one interface or object literal in options.ts, by member name. */
function tsdocDefaults(opening: string): Map<string, string> {
  const start = optionsSource.indexOf(opening);
  expect(start, opening).toBeGreaterThanOrEqual(0);
  const body = optionsSource.slice(start, optionsSource.indexOf('\n}', start));
  const defaults = new Map<string, string>();
  for (const [, comment, member] of body.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*(\w+)\??:/g)) {
    const text = (comment ?? '').replace(/\n\s*\*/g, ' ');
    const value = /@defaultValue\s+(.*?)\s*$/.exec(text)?.[1];
    if (member && value) defaults.set(member, value);
  }
  return defaults;
}

describe('documented defaults', () => {
  it('the README options table states the values of DEFAULT_CONSUMER_OPTIONS', () => {
    const documented = readmeDefaults();
    for (const [option, key] of Object.entries(DOCUMENTED))
      expect(documented.get(option), `README default of ${option}`).toBe(
        written(DEFAULT_CONSUMER_OPTIONS[key]),
      );
  });

  it('the TSDoc @defaultValue of every option and of the constant state the same values', () => {
    const options = tsdocDefaults('export interface ConsumerOptions {');
    const deadLetter = tsdocDefaults('export interface DeadLetterOptions {');
    const constant = tsdocDefaults('export const DEFAULT_CONSUMER_OPTIONS = ');
    for (const [option, key] of Object.entries(DOCUMENTED)) {
      const expected = written(DEFAULT_CONSUMER_OPTIONS[key]);
      const member = option === 'deadLetter.maxLen' ? deadLetter.get('maxLen') : options.get(option);
      expect(member, `TSDoc @defaultValue of ConsumerOptions.${option}`).toContain(expected);
      expect(constant.get(key), `TSDoc @defaultValue of DEFAULT_CONSUMER_OPTIONS.${key}`).toContain(
        // The constant's own TSDoc quotes strings.
        typeof DEFAULT_CONSUMER_OPTIONS[key] === 'string' ? `'${expected}'` : expected,
      );
    }
  });
});

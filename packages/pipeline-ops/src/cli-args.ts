import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { DeadLetterFilter } from './dead-letters.js';
import { UsageError } from './errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** What a flag the command line leaves out means: the CLI's defaults, in one place (the README lists them). */
export const CLI_DEFAULTS = Object.freeze({
  /** `status --watch`: ms between refreshes. @defaultValue 2000 */
  statusIntervalMs: 2000,
  /** `dlq list`: dead letters a page. @defaultValue 50 */
  deadLetterPage: 50,
  /** `pending`: entries per partition. @defaultValue 100 */
  pendingLimit: 100,
  /** `task show`: chunks shown. @defaultValue 1000 */
  taskChunks: 1000,
} as const);

/** The parsed flags and positionals of one command line. */
export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** `parseArgs` for one command, turning its errors (unknown flag, missing value) into a {@link UsageError}. */
export function parseCommandArgs(command: string, args: string[], options: Options): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...options, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** A whole number flag within bounds, or `fallback` when absent. */
export function intFlag(
  name: string,
  value: unknown,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || n < min || n > max)
    throw new UsageError(
      `--${name}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  return n;
}

const RELATIVE = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A point in time: `30m` / `2h` / `7d` ago, an ISO date, or epoch milliseconds. */
export function timeFlag(name: string, value: unknown, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const relative = RELATIVE.exec(text);
  if (relative) return now - Number(relative[1]) * (UNIT_MS[relative[2] as string] as number);
  if (/^\d{10,}$/.test(text)) return Number(text);
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed))
    throw new UsageError(
      `--${name}: expected a time such as 30m, 2h, 7d, 2026-01-31T12:00:00Z or epoch ms, got ${JSON.stringify(text)}`,
    );
  return parsed;
}

/** The dead-letter filter flags every `dlq` command shares. */
export const FILTER_OPTIONS = {
  reason: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  'source-id': { type: 'string' },
  partition: { type: 'string' },
} as const satisfies Options;

/** The {@link DeadLetterFilter} the {@link FILTER_OPTIONS} flags give. */
export function filterOf(values: ParsedArgs['values']): DeadLetterFilter {
  return {
    reason: values.reason as string | undefined,
    since: timeFlag('since', values.since),
    until: timeFlag('until', values.until),
    sourceId: values['source-id'] as string | undefined,
    partition: values.partition === undefined ? undefined : intFlag('partition', values.partition, 0),
  };
}

/** True when the filter narrows anything (so "all dead letters" is never the accident of a missing flag). */
export function hasFilter(filter: DeadLetterFilter): boolean {
  return Object.values(filter).some((value) => value !== undefined);
}

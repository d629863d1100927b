import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONSUMER_OPTIONS, DEFAULT_TRIMMER_OPTIONS } from '@chat/completion-consumer';
import { DEFAULT_PUBLISHER_OPTIONS } from '@chat/completion-publisher';
import { workerEnvSchema } from '@chat/consumer-worker';
import { DEFAULT_STREAM_REGISTRY_OPTIONS } from '@chat/stream-registry';
import { describe, expect, it } from 'vitest';
import { OPTION_PACKAGES, tsdocDrift } from './tsdoc-defaults.js';

const readme = (path: string) =>
  readFileSync(fileURLToPath(new URL(`../../../${path}`, import.meta.url)), 'utf8');

/** The rows of the first Markdown table after `heading` whose header starts with `firstColumn`, as cell arrays. */
function tableRows(markdown: string, heading: string, firstColumn: string): string[][] {
  const section = markdown.slice(markdown.indexOf(heading));
  const lines = section.split('\n');
  const start = lines.findIndex((line) => line.replace(/\s/g, '').startsWith(`|${firstColumn}|`));
  if (start < 0) throw new Error(`no "${firstColumn}" table after ${heading}`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

/** The code spans of a cell, in order: "`a` / `b`" → ["a", "b"]. */
const codeSpans = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

/**
 * A documented default as a value: a JS literal (`5000`, `'compat'`, `{ baseMs: 100 }`, `true`), or a bare name
 * such as `chat:completions`, which reads as that string. Anything else (a call, a placeholder) throws.
 */
function literal(text: string): unknown {
  if (/^[\w:.-]+$/.test(text) && !/^(\d|true$|false$|null$)/.test(text)) return text;
  // The READMEs are ours, so evaluating their literals is safe.
  return new Function(`return (${text});`)();
}

/** `a.b` of `object`, or `a` + `B` joined when the constant flattens it (`deadLetter.maxLen` → `deadLetterMaxLen`). */
function constantValue(constants: Record<string, unknown>, option: string): unknown {
  const [head, ...rest] = option.split('.');
  if (rest.length === 0) return constants[head!];
  const nested = constants[head!];
  if (nested && typeof nested === 'object') return (nested as Record<string, unknown>)[rest.join('.')];
  return constants[head + rest.map((part) => part[0]!.toUpperCase() + part.slice(1)).join('')];
}

/**
 * Compares an option table (option | default | meaning) with the package's defaults constant: each documented
 * literal default must equal the constant, each key of the constant must be documented, and every default that is
 * not a literal must be listed in `notLiteral` with why.
 */
function checkOptionTable(
  rows: string[][],
  constants: Record<string, unknown>,
  notLiteral: Record<string, string>,
  skip: Record<string, string> = {},
) {
  const documented = new Set<string>();
  const drift: string[] = [];
  for (const [optionCell = '', defaultCell = ''] of rows) {
    const option = codeSpans(optionCell)[0]!;
    documented.add(option);
    if (option in skip || option in notLiteral) continue;
    const [first] = codeSpans(defaultCell);
    if (first === undefined) {
      drift.push(`${option}: documented default ${JSON.stringify(defaultCell)} is not a literal`);
      continue;
    }
    const actual = constantValue(constants, option);
    let expected: unknown;
    try {
      expected = literal(first);
    } catch {
      drift.push(`${option}: documented default ${first} is not a literal`);
      continue;
    }
    if (JSON.stringify(expected) !== JSON.stringify(actual))
      drift.push(`${option}: README says ${first}, the code has ${JSON.stringify(actual)}`);
  }
  const flattened = (key: string) =>
    [...documented].some(
      (option) => option === key || option.replace(/\.(\w)/g, (_, c) => c.toUpperCase()) === key,
    );
  for (const key of Object.keys(constants)) {
    if (!flattened(key)) drift.push(`${key}: in the defaults constant but not in the README's table`);
  }
  return drift;
}

describe('every documented default equals the code', () => {
  it("consumer-worker: the README's environment table matches workerEnvSchema", () => {
    const rows = tableRows(readme('apps/consumer-worker/README.md'), '## Configuration', 'variable');
    const shape = workerEnvSchema.shape as Record<string, { safeParse(value: unknown): { data?: unknown } }>;
    const drift: string[] = [];
    const documented = new Set<string>();
    for (const [variableCell = '', defaultCell = ''] of rows) {
      const names = codeSpans(variableCell);
      // "`0` / `1000`" for "`A` / `B`"; a default cell without code spans ("—", "all") means "no default".
      const defaults = defaultCell.split(' / ').map((part) => codeSpans(part)[0]);
      for (const [i, name] of names.entries()) {
        documented.add(name);
        const schema = shape[name];
        if (!schema) {
          drift.push(`${name}: in the README but not read by the worker`);
          continue;
        }
        const actual = schema.safeParse(undefined).data;
        const written = names.length > 1 ? defaults[i] : defaults[0];
        // CONSUMER_NAME's cell names its fallbacks (`POD_NAME`, then `<hostname>-<pid>`), not a default value.
        if (name === 'CONSUMER_NAME') continue;
        if (actual === undefined) {
          if (written !== undefined) drift.push(`${name}: README says ${written}, the code has no default`);
          continue;
        }
        if (written !== String(actual))
          drift.push(
            `${name}: README says ${written ?? JSON.stringify(defaultCell)}, the code has ${actual}`,
          );
      }
    }
    for (const name of Object.keys(shape)) {
      // POD_NAME is documented as CONSUMER_NAME's fallback, in that row.
      if (!documented.has(name) && name !== 'POD_NAME')
        drift.push(`${name}: read by the worker, not in the README`);
    }
    expect(drift).toEqual([]);
  });

  it("completion-publisher: the README's option table matches DEFAULT_PUBLISHER_OPTIONS", () => {
    const rows = tableRows(readme('packages/completion-publisher/README.md'), '', 'option');
    const drift = checkOptionTable(rows, DEFAULT_PUBLISHER_OPTIONS as unknown as Record<string, unknown>, {
      redis: 'the caller passes it; no default',
      url: 'the caller passes it; no default',
    });
    expect(drift).toEqual([]);
  });

  it("completion-consumer: the README's option table matches DEFAULT_CONSUMER_OPTIONS", () => {
    const rows = tableRows(readme('packages/completion-consumer/README.md'), '', 'option');
    const drift = checkOptionTable(rows, DEFAULT_CONSUMER_OPTIONS as unknown as Record<string, unknown>, {
      redis: 'the caller passes it; no default',
      url: 'the caller passes it; no default',
      consumer: 'depends on the host (`<hostname>-<pid>`)',
      handler: 'required',
      logger: 'silent: a logger object, not a literal',
      'deadLetter.stream': 'derived from `stream` (deadLetterStreamFor)',
    });
    expect(drift).toEqual([]);
  });

  it("completion-consumer: the README's StreamTrimmer example shows DEFAULT_TRIMMER_OPTIONS", () => {
    const markdown = readme('packages/completion-consumer/README.md');
    const example = /new StreamTrimmer\(\{([^}]*)\}\)/.exec(markdown)?.[1] ?? '';
    const shown = Object.fromEntries(
      [...example.matchAll(/(\w+): (\d+)/g)].map((m) => [m[1]!, Number(m[2])]),
    );
    expect(shown).toEqual({ ...DEFAULT_TRIMMER_OPTIONS });
  });

  it("stream-registry: the README's option list matches DEFAULT_STREAM_REGISTRY_OPTIONS", () => {
    const markdown = readme('packages/stream-registry/README.md');
    const section = markdown.slice(markdown.indexOf('## Options'));
    const text = section.slice(
      0,
      section.indexOf('\n\n', section.indexOf('DEFAULT_STREAM_REGISTRY_OPTIONS')),
    );
    // The list reads "`name` value" or "`name` `'value'`".
    const documented = new Map(
      [...text.matchAll(/`(\w+)` (`[^`]+`|\d+)/g)].map((m) => [m[1]!, m[2]!.replace(/^`|`$/g, '')]),
    );
    const drift: string[] = [];
    for (const [key, value] of Object.entries(DEFAULT_STREAM_REGISTRY_OPTIONS)) {
      const written = documented.get(key);
      if (written === undefined) drift.push(`${key}: in the defaults constant but not in the README`);
      else if (JSON.stringify(literal(written)) !== JSON.stringify(value))
        drift.push(`${key}: README says ${written}, the code has ${JSON.stringify(value)}`);
    }
    expect(drift).toEqual([]);
  });
});

describe("every defaults constant equals its options' TSDoc @defaultValue", () => {
  it.each(OPTION_PACKAGES)('%s', async (packageDir) => {
    const { constants, drift } = await tsdocDrift(packageDir);
    expect(constants.length, 'defaults constants found').toBeGreaterThan(0);
    expect(drift).toEqual([]);
  });
});

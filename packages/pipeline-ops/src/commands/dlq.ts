import { createInterface } from 'node:readline/promises';
import { CLI_DEFAULTS, FILTER_OPTIONS, filterOf, hasFilter, intFlag, type ParsedArgs } from '../cli-args.js';
import type { CliContext, Command } from '../cli-context.js';
import {
  type BulkResult,
  countDeadLetters,
  type DeadLetterFilter,
  type DeadLetterView,
  deadLetterJson,
  getDeadLetter,
  listDeadLetterViews,
  purgeDeadLetterViews,
  replayDeadLetters,
  replayDeadLetterView,
} from '../dead-letters.js';
import { UsageError } from '../errors.js';
import { progressBar, renderTable } from '../table.js';
import { parseJson } from '../task-view.js';

/** The flags of each `dlq` subcommand. */
export const DLQ_OPTIONS = {
  list: { ...FILTER_OPTIONS, after: { type: 'string' }, limit: { type: 'string' } },
  show: { partition: { type: 'string' } },
  replay: { ...FILTER_OPTIONS, all: { type: 'boolean' }, 'dry-run': { type: 'boolean' } },
  purge: {
    ...FILTER_OPTIONS,
    all: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    yes: { type: 'boolean', short: 'y' },
  },
} as const;

/** What a dead letter's original message says, in one short cell: `op-1 → task-1 ok`, or the decode failure. */
function messageSummary(letter: DeadLetterView): string {
  if (!letter.decoded.ok) return `(${letter.decoded.error.code})`;
  const m = letter.decoded.message;
  return `${m.operation_id} → ${m.task_id} ${m.success ? 'success' : 'failure'}`;
}

function letterRows(letters: DeadLetterView[]): string {
  return renderTable(
    [
      { title: 'ID' },
      { title: 'PARTITION', right: true },
      { title: 'REASON' },
      { title: 'DELIVERIES', right: true },
      { title: 'FAILED AT' },
      { title: 'SOURCE ID' },
      { title: 'MESSAGE' },
    ],
    letters.map((l) => [
      l.id,
      String(l.partition),
      l.reason,
      String(l.deliveryCount),
      l.failedAt,
      l.sourceId,
      messageSummary(l),
    ]),
  );
}

async function list(ctx: CliContext, args: ParsedArgs): Promise<void> {
  const limit = intFlag('limit', args.values.limit, CLI_DEFAULTS.deadLetterPage, 1, 10_000);
  const page = await listDeadLetterViews(ctx.redis, ctx.config, filterOf(args.values), {
    after: args.values.after as string | undefined,
    limit,
  });
  if (ctx.json) return ctx.printJson({ letters: page.letters.map(deadLetterJson), next: page.next });
  if (page.letters.length === 0) return ctx.print('no dead letters match');
  ctx.print(letterRows(page.letters));
  if (page.next) ctx.print(`\nmore: dlq list --after ${page.next} (with the same filter)`);
}

async function show(ctx: CliContext, args: ParsedArgs): Promise<void> {
  const [id, ...extra] = args.positionals;
  if (!id || extra.length > 0) throw new UsageError('dlq show: give one dead-letter id');
  const partition =
    args.values.partition === undefined ? undefined : intFlag('partition', args.values.partition, 0);
  const letter = await getDeadLetter(ctx.redis, ctx.config, id, partition);
  if (ctx.json) return ctx.printJson(deadLetterJson(letter));
  const original = letter.decoded.ok
    ? JSON.stringify(letter.decoded.message, null, 2)
    : `not a valid message (${letter.decoded.error.code}: ${letter.decoded.error.detail})\nraw data: ${
        letter.data ?? JSON.stringify(letter.fields)
      }`;
  const result =
    letter.decoded.ok && typeof letter.decoded.message.result === 'string'
      ? parseJson(letter.decoded.message.result)
      : undefined;
  ctx.print(
    [
      `dead letter ${letter.id} (partition ${letter.partition}, ${letter.deadLetterStream})`,
      `reason:      ${letter.reason}`,
      `error:       ${letter.error}`,
      `deliveries:  ${letter.deliveryCount}`,
      `consumer:    ${letter.consumer}`,
      `failed at:   ${letter.failedAt}`,
      `source:      ${letter.sourceStream} ${letter.sourceId}`,
      'message:',
      original,
      ...(result !== undefined && typeof result !== 'string'
        ? ['result (decoded):', JSON.stringify(result, null, 2)]
        : []),
    ].join('\n'),
  );
}

/** The filter of a bulk command: an explicit one, or `--all`; never "everything" by omission. */
function bulkFilter(command: string, args: ParsedArgs): DeadLetterFilter {
  const filter = filterOf(args.values);
  if (!hasFilter(filter) && !args.values.all)
    throw new UsageError(
      `${command}: give an id, a filter (--reason, --since, --until, --source-id, --partition) or --all`,
    );
  return filter;
}

/** Progress on stderr when it is a terminal (a bar redrawn in place); nothing otherwise, so pipes stay clean. */
function progress(ctx: CliContext, verb: string, total: number): (result: BulkResult) => void {
  if (!ctx.io.stderr.isTTY || ctx.json) return () => {};
  return (result) =>
    ctx.io.stderr.write(
      `\r${verb} ${progressBar(result.matched, total)}${result.matched === total ? '\n' : ''}`,
    );
}

async function replay(ctx: CliContext, args: ParsedArgs): Promise<void> {
  const dryRun = args.values['dry-run'] === true;
  const [id, ...extra] = args.positionals;
  if (extra.length > 0) throw new UsageError('dlq replay: give at most one dead-letter id');
  if (id) {
    const letter = await getDeadLetter(ctx.redis, ctx.config, id, filterOf(args.values).partition);
    const newId = dryRun ? null : await replayDeadLetterView(ctx.redis, letter);
    if (ctx.json) return ctx.printJson({ id, dryRun, replayedAs: newId, stream: letter.sourceStream });
    return ctx.print(
      dryRun
        ? `would replay ${id} (${letter.reason}) to ${letter.sourceStream}`
        : newId
          ? `replayed ${id} to ${letter.sourceStream} as ${newId}`
          : `${id} was already gone (replayed or purged meanwhile)`,
    );
  }
  const filter = bulkFilter('dlq replay', args);
  if (dryRun) {
    const matched = await countDeadLetters(ctx.redis, ctx.config, filter);
    if (ctx.json) return ctx.printJson({ dryRun, matched });
    return ctx.print(
      `would replay ${matched} dead letter${matched === 1 ? '' : 's'} (run again without --dry-run)`,
    );
  }
  const total = ctx.io.stderr.isTTY ? await countDeadLetters(ctx.redis, ctx.config, filter) : 0;
  const result = await replayDeadLetters(ctx.redis, ctx.config, filter, progress(ctx, 'replaying', total));
  if (ctx.json) return ctx.printJson({ dryRun, ...result });
  ctx.print(`replayed ${result.done} of ${result.matched} matching dead letters`);
}

async function confirm(ctx: CliContext, question: string): Promise<boolean> {
  if (!ctx.io.stdin.isTTY) throw new UsageError('dlq purge: not a terminal to confirm on; pass --yes');
  const rl = createInterface({ input: ctx.io.stdin, output: ctx.io.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

async function purge(ctx: CliContext, args: ParsedArgs): Promise<void> {
  if (args.positionals.length > 0) throw new UsageError('dlq purge: takes a filter or --all, not ids');
  const filter = bulkFilter('dlq purge', args);
  const matched = await countDeadLetters(ctx.redis, ctx.config, filter);
  if (args.values['dry-run']) {
    if (ctx.json) return ctx.printJson({ dryRun: true, matched });
    return ctx.print(`would delete ${matched} dead letter${matched === 1 ? '' : 's'}`);
  }
  if (matched > 0 && !args.values.yes && !(await confirm(ctx, `delete ${matched} dead letters for good?`))) {
    if (ctx.json) return ctx.printJson({ dryRun: false, matched, done: 0, cancelled: true });
    return ctx.print('cancelled; nothing deleted');
  }
  const result = await purgeDeadLetterViews(
    ctx.redis,
    ctx.config,
    filter,
    progress(ctx, 'deleting', matched),
  );
  if (ctx.json) return ctx.printJson({ dryRun: false, ...result });
  ctx.print(`deleted ${result.done} dead letter${result.done === 1 ? '' : 's'}`);
}

/** `dlq list|show|replay|purge …`: each subcommand's flags and what it runs. */
export const DLQ_COMMANDS: Record<string, Command> = {
  list: { options: DLQ_OPTIONS.list, run: list },
  show: { options: DLQ_OPTIONS.show, run: show },
  replay: { options: DLQ_OPTIONS.replay, run: replay },
  purge: { options: DLQ_OPTIONS.purge, run: purge },
};

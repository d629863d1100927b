import { sleep } from '@chat/redis-kit';
import { CLI_DEFAULTS, intFlag, type ParsedArgs } from '../cli-args.js';
import type { CliContext, Command } from '../cli-context.js';
import { type PipelineStatus, readPipelineStatus } from '../status.js';
import { cell, formatDuration, renderTable } from '../table.js';

/** The `status` report as text: one table of partitions, one of consumers, one of dead letters by reason. */
export function renderStatus(status: PipelineStatus): string {
  const partitions = renderTable(
    [
      { title: 'PARTITION', right: true },
      { title: 'STREAM' },
      { title: 'LENGTH', right: true },
      { title: 'LAG', right: true },
      { title: 'PENDING', right: true },
      { title: 'OLDEST PENDING', right: true },
      { title: 'DEAD', right: true },
      { title: 'TRIMMED', right: true },
      { title: 'LOSS' },
    ],
    status.partitions.map((p) => [
      String(p.partition),
      p.stream,
      p.exists ? String(p.length) : 'no stream',
      p.group.exists ? cell(p.group.lag) : 'no group',
      cell(p.group.pending),
      formatDuration(p.group.oldestPendingAgeMs),
      String(p.deadLetters.total),
      cell(p.trimming.removed),
      p.loss.gap || (p.loss.unread ?? 0) > 0 ? `LOST ${cell(p.loss.unread)} unread` : 'none',
    ]),
  );
  const consumerRows = status.partitions.flatMap((p) =>
    p.consumers.map((c) => [
      String(p.partition),
      c.name,
      String(c.pending),
      formatDuration(c.idleMs),
      formatDuration(c.inactiveMs),
    ]),
  );
  const consumers =
    consumerRows.length > 0
      ? renderTable(
          [
            { title: 'PARTITION', right: true },
            { title: 'CONSUMER' },
            { title: 'PENDING', right: true },
            { title: 'IDLE', right: true },
            { title: 'INACTIVE', right: true },
          ],
          consumerRows,
        )
      : 'no consumers';
  const deadRows = status.partitions.flatMap((p) =>
    Object.entries(p.deadLetters.byReason)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([reason, count]) => [String(p.partition), reason, String(count)]),
  );
  const dead =
    deadRows.length > 0
      ? renderTable(
          [{ title: 'PARTITION', right: true }, { title: 'REASON' }, { title: 'COUNT', right: true }],
          deadRows,
        )
      : 'no dead letters';
  const partial = status.partitions.some((p) => p.deadLetters.scanned < p.deadLetters.total)
    ? '\n(reasons counted over the newest entries only)'
    : '';
  return `group ${status.group} at ${status.at}\n\n${partitions}\n\n${consumers}\n\n${dead}${partial}`;
}

/** `status [--watch] [--interval ms]`: the pipeline's health; `--watch` refreshes in place until Ctrl-C. */
async function statusCommand(ctx: CliContext, args: ParsedArgs): Promise<void> {
  const show = async () => {
    const status = await readPipelineStatus(ctx.redis, ctx.config);
    if (ctx.json) ctx.printJson(status);
    else ctx.print(renderStatus(status));
  };
  if (!args.values.watch) return show();
  const intervalMs = intFlag('interval', args.values.interval, CLI_DEFAULTS.statusIntervalMs, 100);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    while (!stop.signal.aborted) {
      // Clear and home the cursor, so each refresh replaces the last one on a terminal.
      if (!ctx.json && ctx.io.stdout.isTTY) ctx.io.stdout.write('\x1b[H\x1b[2J');
      await show();
      await sleep(intervalMs, stop.signal);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** `status`: its flags and what it runs. */
export const STATUS_COMMAND: Command = {
  options: { watch: { type: 'boolean', short: 'w' }, interval: { type: 'string' } },
  run: statusCommand,
};

import { CLI_DEFAULTS, intFlag, type ParsedArgs } from '../cli-args.js';
import type { CliContext, Command } from '../cli-context.js';
import { listPending } from '../pending.js';
import { cell, formatDuration, renderTable } from '../table.js';

async function pendingCommand(ctx: CliContext, args: ParsedArgs): Promise<void> {
  const entries = await listPending(ctx.redis, ctx.config, {
    limit: intFlag('limit', args.values.limit, CLI_DEFAULTS.pendingLimit, 1, 10_000),
    consumer: args.values.consumer as string | undefined,
    minIdleMs:
      args.values['min-idle'] === undefined ? undefined : intFlag('min-idle', args.values['min-idle'], 0),
  });
  if (ctx.json) return ctx.printJson({ group: ctx.config.group, entries });
  if (entries.length === 0) return ctx.print(`nothing pending in group ${ctx.config.group}`);
  ctx.print(
    renderTable(
      [
        { title: 'PARTITION', right: true },
        { title: 'ID' },
        { title: 'CONSUMER' },
        { title: 'IDLE', right: true },
        { title: 'DELIVERIES', right: true },
        { title: 'TASK' },
        { title: 'OPERATION' },
      ],
      entries.map((e) => [
        String(e.partition),
        e.id,
        e.consumer,
        formatDuration(e.idleMs),
        String(e.deliveries),
        cell(e.taskId ?? (e.operationId === null ? '(entry gone or invalid)' : null)),
        cell(e.operationId),
      ]),
    ),
  );
}

/** `pending [--consumer name] [--min-idle ms] [--limit n]`: the group's unacknowledged entries (never claims them). */
export const PENDING_COMMAND: Command = {
  options: { consumer: { type: 'string' }, 'min-idle': { type: 'string' }, limit: { type: 'string' } },
  run: pendingCommand,
};

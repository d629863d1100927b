import { CLI_DEFAULTS, intFlag, type ParsedArgs } from '../cli-args.js';
import type { CliContext, Command } from '../cli-context.js';
import { UsageError } from '../errors.js';
import { cell, renderTable } from '../table.js';
import { parseJson, readTaskView, tailTask } from '../task-view.js';

function taskIdOf(command: string, args: ParsedArgs): string {
  const [taskId, ...extra] = args.positionals;
  if (!taskId || extra.length > 0) throw new UsageError(`${command}: give one task id`);
  return taskId;
}

/** A chunk in one line: its type and the rest of its fields as JSON. */
function chunkLine(id: string, chunk: unknown): string {
  if (typeof chunk !== 'object' || chunk === null) return `${id}  (not JSON) ${String(chunk)}`;
  const { type, ...rest } = chunk as Record<string, unknown>;
  return `${id}  ${String(type)}${Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : ''}`;
}

async function show(ctx: CliContext, args: ParsedArgs): Promise<void> {
  const taskId = taskIdOf('task show', args);
  const view = await readTaskView(
    ctx.redis,
    ctx.registry(),
    taskId,
    intFlag('limit', args.values.limit, CLI_DEFAULTS.taskChunks, 1, 100_000),
  );
  if (ctx.json) return ctx.printJson(view);
  const { result, ...fields } = view.hash;
  const hash =
    Object.keys(view.hash).length > 0
      ? renderTable(
          [{ title: 'FIELD' }, { title: 'VALUE' }],
          Object.entries(fields).map(([name, value]) => [name, value]),
        )
      : '(the task hash is gone: expired or deleted)';
  const decodedResult = result === undefined ? [] : ['result:', JSON.stringify(parseJson(result), null, 2)];
  const operation = view.operation
    ? `${view.operation.key} → ${cell(view.operation.taskId)}${view.operation.taskId !== taskId ? '  (does not point back to this task)' : ''}`
    : '(no operation id on the task)';
  ctx.print(
    [
      `task ${taskId}: ${view.metaKey} (ttl ${view.ttlSeconds === null ? 'none' : `${view.ttlSeconds}s`})`,
      hash,
      ...decodedResult,
      `operation: ${operation}`,
      `chunks: ${view.streamKey} (${view.streamLength} entries${view.chunks.length < view.streamLength ? `, first ${view.chunks.length} shown` : ''})`,
      ...view.chunks.map(({ id, chunk }) => chunkLine(id, chunk)),
    ].join('\n'),
  );
}

async function tail(ctx: CliContext, args: ParsedArgs): Promise<void> {
  const taskId = taskIdOf('task tail', args);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  try {
    for await (const { id, chunk } of tailTask(ctx.registry(), taskId, stop.signal)) {
      if (ctx.json) ctx.printJson({ id, chunk });
      else ctx.print(chunkLine(id, chunk));
    }
  } finally {
    process.off('SIGINT', onSignal);
  }
}

/** `task show|tail <task_id>`. */
export const TASK_COMMANDS: Record<string, Command> = {
  show: { options: { limit: { type: 'string' } }, run: show },
  tail: { options: {}, run: tail },
};

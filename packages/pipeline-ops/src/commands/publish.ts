import { readFile } from 'node:fs/promises';
import { createPublisher, type OperationCompleteInput } from '@chat/completion-publisher';
import type { ParsedArgs } from '../cli-args.js';
import type { CliContext, Command } from '../cli-context.js';
import { UsageError } from '../errors.js';

/** The message the flags describe: `--file` (a JSON message), or `--operation-id`, `--task-id` and the outcome. */
async function messageOf(args: ParsedArgs): Promise<OperationCompleteInput> {
  const v = args.values;
  if (v.file !== undefined) {
    if (v['operation-id'] || v['task-id'] || v.result || v.error || v.failed)
      throw new UsageError('publish: give --file or the message flags, not both');
    const text = await readFile(String(v.file), 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(`publish: cannot read ${String(v.file)}: ${error.code ?? error.message}`);
    });
    try {
      return JSON.parse(text) as OperationCompleteInput;
    } catch (error) {
      throw new UsageError(`publish: ${String(v.file)} is not JSON: ${(error as Error).message}`);
    }
  }
  if (!v['operation-id'] || !v['task-id'])
    throw new UsageError('publish: give --operation-id and --task-id (or --file)');
  const failed = v.failed === true || v.error !== undefined;
  if (failed && v.result !== undefined)
    throw new UsageError('publish: --result is for a success, --error/--failed for a failure');
  let result: OperationCompleteInput['result'] = null;
  if (v.result !== undefined) {
    try {
      result = JSON.parse(String(v.result)) as OperationCompleteInput['result'];
    } catch {
      // Not JSON: the result is that string, as a producer may send one.
      result = String(v.result);
    }
  }
  return {
    operation_id: String(v['operation-id']),
    task_id: String(v['task-id']),
    success: !failed,
    result: failed ? null : result,
    error: failed ? ((v.error as string | undefined) ?? null) : null,
  };
}

async function publish(ctx: CliContext, args: ParsedArgs): Promise<void> {
  const message = await messageOf(args);
  const publisher = createPublisher({
    redis: ctx.redis,
    stream: ctx.config.stream,
    partitions: ctx.config.partitions,
  });
  try {
    const id = await publisher.publish(message);
    const stream = publisher.streamFor(message.task_id);
    if (ctx.json) return ctx.printJson({ id, stream, message });
    ctx.print(`published ${id} to ${stream}`);
  } finally {
    await publisher.close();
  }
}

/** `publish`: one validated completion, from flags or a JSON file. */
export const PUBLISH_COMMAND: Command = {
  options: {
    file: { type: 'string', short: 'f' },
    'operation-id': { type: 'string' },
    'task-id': { type: 'string' },
    result: { type: 'string' },
    error: { type: 'string' },
    failed: { type: 'boolean' },
  },
  run: publish,
};

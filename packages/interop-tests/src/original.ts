import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { PYTHON } from './python.js';

export { PYTHON };

/** The Python module that re-states the original's Redis behaviour. */
export const ORIGINAL_PY = fileURLToPath(new URL('../python/original.py', import.meta.url));

/** Why the interop tests cannot run here (checked and printed once, by `python-setup.ts`), or null when they can. */
export function pythonSkipReason(): string | null {
  return inject('pythonSkipReason');
}

/** Where the original's side works: one Redis, the key prefix both systems share. */
export interface OriginalSide {
  url: string;
  prefix: string;
}

/**
 * Runs one command of `python/original.py` (create-task, publish, validate-entries, get-task, publish-chunks,
 * complete, subscribe, consume, …) with `args` and resolves with its JSON answer.
 */
export function original<T = unknown>(
  side: OriginalSide,
  command: string,
  args: Record<string, unknown> = {},
): Promise<T> {
  const payload = JSON.stringify({ url: side.url, prefix: side.prefix, ...args });
  return new Promise((resolve, reject) => {
    execFile(
      PYTHON,
      [ORIGINAL_PY, command, payload],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`original.py ${command} failed: ${stderr || error.message}`));
          return;
        }
        try {
          resolve(JSON.parse(stdout) as T);
        } catch (parseError) {
          reject(
            new Error(`original.py ${command} printed no JSON: ${stdout}${stderr}`, { cause: parseError }),
          );
        }
      },
    );
  });
}

/**
 * Registers task `id` the way the original's chat API does (`create-task`: the hash, the operation key, the
 * running-operation marker), for tool `create_agent` with call id `call-<id>` and operation `op-<id>`, with the
 * chunks its chat API streamed before handing the tool call off (`start`, `tool-input-available`).
 */
export function registerOriginalTask(side: OriginalSide, id: string): Promise<unknown> {
  return original(side, 'create-task', {
    task_id: id,
    session_id: 's',
    user_id: 'u',
    tool_call_id: `call-${id}`,
    tool_name: 'create_agent',
    operation_id: `op-${id}`,
    chunks: [
      { type: 'start', messageId: `m-${id}`, sessionId: 's' },
      { type: 'tool-input-available', toolCallId: `call-${id}`, toolName: 'create_agent', input: {} },
    ],
  });
}

/** A task as the original's `get_task` returns it (plus how its created_at parsed). */
export interface OriginalTask {
  task_id: string;
  session_id: string;
  user_id: string | null;
  tool_call_id: string;
  tool_name: string;
  operation_id: string;
  status: string;
  created_at: string;
  created_at_parsed: string | null;
  created_at_is_original_format: boolean;
}

/** One entry as the original's subscriber handled it: rebuilt (with what its SSE writes) or dropped. */
export type OriginalEvent =
  | { id: string; type: string; stored: Record<string, unknown>; sse: string }
  | { id: string; dropped: string };

/** What the original's subscriber read from a cursor until `finish` (or until nothing came for `block_ms`). */
export interface OriginalSubscription {
  events: OriginalEvent[];
  finished: boolean;
}

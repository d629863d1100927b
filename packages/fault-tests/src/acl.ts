import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

/** The worker README, which holds the ACL line operators copy; the tests apply that very line. */
export const WORKER_README = fileURLToPath(
  new URL('../../../apps/consumer-worker/README.md', import.meta.url),
);

/**
 * The `ACL SETUSER chat-worker …` line from the worker README, with `<password>` filled in, as an argument list
 * for `redis.call('ACL', …)`. Reading it from the README keeps the documented line and the tested one identical.
 */
export function workerAclFromReadme(password: string): { args: string[]; commands: Set<string> } {
  const line = readFileSync(WORKER_README, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('ACL SETUSER chat-worker '));
  if (!line) throw new Error(`no "ACL SETUSER chat-worker" line in ${WORKER_README}`);
  const args = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map((token) => (token === '><password>' ? `>${password}` : token));
  const commands = new Set(args.filter((t) => t.startsWith('+')).map((t) => t.slice(1).toLowerCase()));
  return { args, commands };
}

/**
 * The README line as `server` accepts it: each `+command` rule the server does not know (`COMMAND INFO` answers
 * nil, as Redis 7.0 does for `client|setinfo`) is left out, as the README tells operators of older servers to do,
 * since `ACL SETUSER` refuses an unknown command. Detects the server's commands instead of trusting its version
 * string (Valkey 8 reports `redis_version:7.2.4`).
 */
export async function aclForServer(
  acl: { args: string[]; commands: Set<string> },
  server: Redis,
): Promise<{ args: string[]; commands: Set<string>; unknown: string[] }> {
  const rules = [...acl.commands];
  const info = (await server.call('COMMAND', 'INFO', ...rules)) as (unknown[] | null)[];
  const unknown = rules.filter((_, i) => info[i] === null);
  return {
    args: acl.args.filter(
      (token) => !(token.startsWith('+') && unknown.includes(token.slice(1).toLowerCase())),
    ),
    commands: new Set(rules.filter((rule) => !unknown.includes(rule))),
    unknown,
  };
}

/** Commands whose first argument is a subcommand, so ACL rules name them `cmd|sub`. */
const CONTAINER_COMMANDS = new Set([
  'xinfo',
  'xgroup',
  'client',
  'config',
  'command',
  'acl',
  'script',
  'object',
]);

/** `xgroup|create` for `XGROUP CREATE …`, `xadd` for `XADD …`: the name an ACL rule uses. */
export function aclCommandName(args: readonly string[]): string {
  const command = (args[0] ?? '').toLowerCase();
  return CONTAINER_COMMANDS.has(command) && args[1] ? `${command}|${args[1].toLowerCase()}` : command;
}

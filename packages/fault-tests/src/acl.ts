import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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

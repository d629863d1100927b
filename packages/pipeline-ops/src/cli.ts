import { ChatPipelineError } from '@chat/completion-schema';
import type { RedisClient } from '@chat/redis-kit';
import { type ParsedArgs, parseCommandArgs } from './cli-args.js';
import { CliContext, type CliIo, type Command } from './cli-context.js';
import { DLQ_COMMANDS } from './commands/dlq.js';
import { PENDING_COMMAND } from './commands/pending.js';
import { PUBLISH_COMMAND } from './commands/publish.js';
import { STATUS_COMMAND } from './commands/status.js';
import { TASK_COMMANDS } from './commands/task.js';
import { type ConnectionConfig, connectRedis, loadConnectionConfig, redactUrl } from './connection-config.js';
import { UsageError } from './errors.js';
import { checkTopology } from './pipeline-streams.js';

/** The usage text `chat-pipeline --help` prints. */
export const CLI_USAGE = `usage: chat-pipeline <command> [flags]   (add --json for machine-readable output)

  status [--watch] [--interval ms]           per partition: length, lag, pending, oldest pending, consumers,
                                             dead letters by reason, trimming, detected loss
  dlq list [filter] [--after id] [--limit n] dead letters, oldest first, a page at a time
  dlq show <id> [--partition n]              one dead letter: reason, error, deliveries, consumer, decoded message
  dlq replay <id> | <filter> | --all [--dry-run]
                                             back to the completion stream, atomically per entry
  dlq purge <filter> | --all [--dry-run] [--yes]
                                             delete dead letters (asks first unless --yes)
  pending [--consumer name] [--min-idle ms] [--limit n]
                                             the group's unacknowledged entries with idle time and deliveries
  task show <task_id> [--limit n]            the task hash, its operation mapping and its chunks
  task tail <task_id>                        follow the task's chunks live, as a browser sees them
  publish --operation-id id --task-id id [--result json | --error text | --failed]
  publish --file message.json                publish one validated completion

  filter: --reason r  --since t  --until t  --source-id id  --partition n
          (t: 30m, 2h, 7d ago; an ISO date; or epoch ms)

Connection and layout come from the worker's variables: REDIS_URL or REDIS_CLUSTER_NODES, REDIS_TLS_CA_FILE,
REDIS_TLS_REJECT_UNAUTHORIZED, KEY_LAYOUT, KEY_PREFIX, COMPLETION_STREAM, PARTITIONS, CONSUMER_GROUP.`;

/** Exit codes of {@link runCli}. */
export const EXIT_CODES = Object.freeze({ ok: 0, failure: 1, usage: 2 } as const);

const COMMANDS: Record<string, Command | Record<string, Command>> = {
  status: STATUS_COMMAND,
  dlq: DLQ_COMMANDS,
  pending: PENDING_COMMAND,
  task: TASK_COMMANDS,
  publish: PUBLISH_COMMAND,
};

function isCommand(value: Command | Record<string, Command>): value is Command {
  return typeof (value as Command).run === 'function';
}

/** Finds the command `argv` names and parses its flags; {@link UsageError} for anything unknown. */
function resolveCommand(argv: string[]): { name: string; command: Command; args: ParsedArgs } {
  const [first, second, ...rest] = argv;
  const entry = first === undefined ? undefined : COMMANDS[first];
  if (!entry)
    throw new UsageError(
      first ? `unknown command ${JSON.stringify(first)}; see --help` : 'no command; see --help',
    );
  if (isCommand(entry)) {
    const args = argv.slice(1);
    return {
      name: first as string,
      command: entry,
      args: parseCommandArgs(first as string, args, entry.options),
    };
  }
  const command = second === undefined ? undefined : entry[second];
  if (!command)
    throw new UsageError(
      `${first}: ${second ? `unknown subcommand ${JSON.stringify(second)}` : 'give a subcommand'} (${Object.keys(entry).join(', ')})`,
    );
  const name = `${first} ${second}`;
  return { name, command, args: parseCommandArgs(name, rest, command.options) };
}

/** Where the CLI connects, for an error message (never with a password). */
function target(config: ConnectionConfig): string {
  if (config.cluster) return `cluster ${config.cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  return redactUrl(config.redisUrl ?? '');
}

/** How long the CLI waits to reach Redis before it gives up with a one-line reason. */
const CONNECT_TIMEOUT_MS = 5000;

/** Connects and checks the connection (PING) and the topology, within {@link CONNECT_TIMEOUT_MS}. */
async function connect(config: ConnectionConfig): Promise<RedisClient> {
  let lastError = '';
  const redis = connectRedis(config, {
    connectionName: 'chat-pipeline-cli',
    maxRetriesPerRequest: 1,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // A person is waiting: two quick retries, then the command fails with the reason.
    retryStrategy: (times) => (times > 2 ? null : 100 * times),
  });
  redis.on('error', (error: Error) => {
    lastError = error.message;
  });
  try {
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${target(config)}: ${lastError || (error as Error).message}`);
  }
  await checkTopology(redis).catch((error) => {
    redis.disconnect();
    throw error;
  });
  return redis;
}

/** A failure as the one line the CLI prints: typed errors by their message, anything else with its name. */
function reasonOf(error: unknown): string {
  if (ChatPipelineError.isInstance(error)) return error.message;
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}

/**
 * Runs one `chat-pipeline` command line and resolves with its exit code: 0, 1 on failure (a one-line reason on
 * stderr, never a stack trace), 2 on bad usage or configuration. The connection comes from `env`.
 */
export async function runCli(
  argv: string[],
  options: { env?: NodeJS.ProcessEnv; io?: CliIo } = {},
): Promise<number> {
  const io = options.io ?? { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };
  const fail = (code: number, error: unknown) => {
    io.stderr.write(`chat-pipeline: ${reasonOf(error)}\n`);
    return code;
  };
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout.write(`${CLI_USAGE}\n`);
    return argv.length === 0 ? EXIT_CODES.usage : EXIT_CODES.ok;
  }
  let resolved: ReturnType<typeof resolveCommand>;
  let config: ConnectionConfig;
  try {
    resolved = resolveCommand(argv);
    if (resolved.args.values.help) {
      io.stdout.write(`${CLI_USAGE}\n`);
      return EXIT_CODES.ok;
    }
    config = loadConnectionConfig(options.env ?? process.env);
  } catch (error) {
    return fail(EXIT_CODES.usage, error);
  }
  let redis: RedisClient | undefined;
  let ctx: CliContext | undefined;
  try {
    redis = await connect(config);
    ctx = new CliContext(redis, config, io, resolved.args.values.json === true);
    await resolved.command.run(ctx, resolved.args);
    return EXIT_CODES.ok;
  } catch (error) {
    return fail(UsageError.isInstance(error) ? EXIT_CODES.usage : EXIT_CODES.failure, error);
  } finally {
    await ctx?.close().catch(() => {});
    if (redis) await redis.quit().catch(() => redis?.disconnect());
  }
}

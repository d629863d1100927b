import type { ParseArgsConfig } from 'node:util';
import type { RedisClient } from '@chat/redis-kit';
import { StreamRegistry } from '@chat/stream-registry';
import type { ParsedArgs } from './cli-args.js';
import type { ConnectionConfig } from './connection-config.js';

/** Where a command writes and what it may ask: the CLI's streams, as `runCli` was given them. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** What every command gets: the connection, the configuration, the output mode and the streams. */
export class CliContext {
  private registryInstance: StreamRegistry | undefined;

  constructor(
    readonly redis: RedisClient,
    readonly config: ConnectionConfig,
    readonly io: CliIo,
    /** `--json`: one JSON document (or one per line with `--watch`) instead of tables. */
    readonly json: boolean,
  ) {}

  /** Writes `text` and a newline to stdout. */
  print(text: string): void {
    this.io.stdout.write(`${text}\n`);
  }

  /** Writes `value` as one line of JSON to stdout. */
  printJson(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** The stream registry on the pipeline's key layout, created on first use (it opens a reader only to tail). */
  registry(): StreamRegistry {
    this.registryInstance ??= new StreamRegistry({
      redis: this.redis,
      keyLayout: this.config.keyLayout,
      keyPrefix: this.config.keyPrefix,
    });
    return this.registryInstance;
  }

  /** Closes what the commands opened (the registry's reader); the connection is the CLI's to close. */
  async close(): Promise<void> {
    await this.registryInstance?.close();
  }
}

/** One command of the CLI: its flags (parsed before anything connects) and what it runs. */
export interface Command {
  options: NonNullable<ParseArgsConfig['options']>;
  run(ctx: CliContext, args: ParsedArgs): Promise<void>;
}

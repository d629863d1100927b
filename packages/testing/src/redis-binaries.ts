/**
 * The server executable the helpers spawn: `REDIS_SERVER_BIN` (a path, or a name looked up on `PATH`) when set,
 * else `redis-server`. Lets the same tests run against another server that speaks the protocol, such as Valkey.
 */
export function redisServerBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.REDIS_SERVER_BIN || 'redis-server';
}

/**
 * The command-line client the cluster helper runs (`--cluster create`, `cluster info`): `REDIS_CLI_BIN` when set,
 * else `redis-cli`. Set it with `REDIS_SERVER_BIN` (for example to `valkey-cli` beside `valkey-server`).
 */
export function redisCliBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.REDIS_CLI_BIN || 'redis-cli';
}

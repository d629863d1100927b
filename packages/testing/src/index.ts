import './provided-context.js';

export { commandCalls } from './command-stats.js';
export { errorLog, type LoggedError } from './error-log.js';
export { getFreePort, isPortFree } from './free-port.js';
export { uniquePrefix } from './key-prefix.js';
export { redisCliBinary, redisServerBinary } from './redis-binaries.js';
export {
  type ClusterNode,
  type RedisCluster,
  type StartClusterOptions,
  startCluster,
} from './redis-cluster.js';
export { pingRedis, waitForRedis } from './redis-ping.js';
export {
  EPHEMERAL_REDIS_ARGS,
  type RedisServer,
  type StartRedisOptions,
  spawnRedisProcess,
  startRedis,
} from './redis-server.js';
export {
  cleanEnv,
  installScratchProject,
  runIn,
  type ScratchProject,
} from './scratch-project.js';
export { type AuditedEntry, ackedEntries } from './stream-audit.js';
export { type Truthy, waitFor } from './wait-for.js';

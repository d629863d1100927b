// What operators' tools import: the connection settings the worker and the CLI share, the read models behind
// `chat-pipeline` (status, dead letters, pending entries, tasks) and the CLI itself.
export { CLI_USAGE, EXIT_CODES, runCli } from './cli.js';
export type { CliIo } from './cli-context.js';
export {
  type ClusterConfig,
  CONNECTION_ENV_NAMES,
  type ConnectionConfig,
  type ConnectRedisOptions,
  cleanEnv,
  connectionConfigOf,
  connectionEnvSchema,
  connectionProblems,
  connectRedis,
  loadConnectionConfig,
  parseClusterNodes,
  redactUrl,
  redisTlsOptions,
} from './connection-config.js';
export {
  type BulkResult,
  countDeadLetters,
  type DeadLetterFilter,
  type DeadLetterPage,
  type DeadLetterView,
  deadLetterJson,
  eachDeadLetter,
  getDeadLetter,
  listDeadLetterViews,
  purgeDeadLetterViews,
  replayDeadLetters,
  replayDeadLetterView,
} from './dead-letters.js';
export { KeyLayoutError, NotFoundError, OpsConfigError, type OpsErrorCode, UsageError } from './errors.js';
export { listPending, type PendingEntry } from './pending.js';
export { checkTopology, type PipelinePartition, pipelinePartitions } from './pipeline-streams.js';
export {
  type ConsumerStatus,
  DEAD_LETTER_SCAN_LIMIT,
  type PartitionStatus,
  type PipelineStatus,
  readPipelineStatus,
} from './status.js';
export { readTaskView, type TaskView, tailTask } from './task-view.js';

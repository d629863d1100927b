export {
  type CompletionHandlerOptions,
  type CompletionOutcome,
  createCompletionHandler,
  DEFAULT_COMPLETION_HANDLER_OPTIONS,
  DEFAULT_FAILURE_TEXT,
  toolOutputOf,
} from './completion-handler.js';
export {
  type ClusterConfig,
  consumedStreams,
  loadConfig,
  parseClusterNodes,
  redactUrl,
  type WorkerConfig,
  workerEnvSchema,
} from './config.js';
export { startEmbeddedRedis } from './embedded-redis.js';
export { ConfigError, type WorkerErrorCode, WorkerOptionsError } from './errors.js';
export { type HealthServerOptions, type ReadinessCheck, startHealthServer } from './http-server.js';
export { createLogger, type WorkerLogger } from './logger.js';
export { METRICS_REDIS_DEADLINE_MS, WorkerMetrics } from './metrics.js';
export { DEFAULT_SENSITIVE_KEYS, REDACTED, redact } from './redact.js';
export {
  missingRedisPermissions,
  RedisPermissionError,
  type RequiredCommand,
  requiredRedisCommands,
} from './redis-permissions.js';
export { type RunWorkerMainOptions, runWorkerMain } from './run-main.js';
export { readSSE, type SSEEvent } from './sse-client.js';
export type { ToolHook, ToolHookContext, ToolHooks } from './tool-hooks.js';
export {
  DEFAULT_WEBHOOK_CLOSE_OPTIONS,
  DEFAULT_WEBHOOK_OPTIONS,
  type ResolvedWebhookCloseOptions,
  type ResolvedWebhookOptions,
  resolveWebhookOptions,
  signWebhook,
  type WebhookCloseOptions,
  WebhookNotifier,
  type WebhookOptions,
} from './webhook.js';
export {
  type CreateWorkerOptions,
  createWorker,
  DEFAULT_CREATE_WORKER_OPTIONS,
  type ResolvedCreateWorkerOptions,
  redisTlsOptions,
  type Worker,
} from './worker.js';
export {
  spawnWorker,
  startWorkerProcess,
  type WorkerLogLine,
  type WorkerProcess,
} from './worker-process.js';

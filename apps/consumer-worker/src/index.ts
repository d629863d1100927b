// What an application embedding the worker imports: the main, createWorker, its configuration, hooks and errors.
export {
  type CompletionHandlerOptions,
  type CompletionOutcome,
  createCompletionHandler,
  DEFAULT_COMPLETION_HANDLER_OPTIONS,
  DEFAULT_FAILURE_TEXT,
  PERSIST_FAILURE_TEXT,
  toolOutputOf,
} from './completion-handler.js';
export type {
  CompletionHookContext,
  CompletionHookRegistry,
  CompletionHooks,
  ContinuationWriter,
  TransformOutcome,
} from './completion-hooks.js';
export {
  type ClusterConfig,
  loadConfig,
  type WorkerConfig,
  workerEnvSchema,
} from './config.js';
export { CONTINUATION_ERROR_PREFIX, CONTINUATION_INTERRUPTED } from './continuation.js';
export { ConfigError, RedisPermissionError, type WorkerErrorCode, WorkerOptionsError } from './errors.js';
export { type ForeignConsumer, ORIGINAL_CONSUMER_NAME } from './foreign-consumers.js';
export { createLogger, type WorkerLogger } from './logger.js';
export { DEFAULT_SENSITIVE_KEYS, REDACTED, redact } from './redact.js';
export { type RunWorkerMainOptions, runWorkerMain } from './run-main.js';
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
  type Worker,
} from './worker.js';

import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { CompletionConsumer } from '@chat/completion-consumer';
import type { Logger } from '@chat/completion-schema';
import { StreamRegistry } from '@chat/stream-registry';
import { Redis } from 'ioredis';
import { type CompletionOutcome, createCompletionHandler } from './completion-handler.js';
import type { WorkerConfig } from './config.js';
import { startHealthServer } from './http-server.js';
import { WorkerMetrics } from './metrics.js';
import { missingRedisPermissions, RedisPermissionError } from './redis-permissions.js';
import type { ToolHooks } from './tool-hooks.js';
import { WebhookNotifier } from './webhook.js';

/** Options of {@link createWorker}. */
export interface CreateWorkerOptions {
  /** Validated configuration, usually from `loadConfig()`; `redisUrl` is required unless `redis` is given. */
  config: WorkerConfig;
  /** A client the caller owns (never quit by the worker); one is created from `config.redisUrl` otherwise. */
  redis?: Redis;
  /** pino-compatible logger. */
  logger: Logger;
  /** Per-tool hooks, e.g. `{ create_agent: { onSuccess: saveAgent } }`. */
  hooks?: ToolHooks;
  /** Serve /healthz, /readyz and /metrics. @defaultValue true */
  http?: boolean;
}

/** A composed worker: the consumer, the registry, metrics and the health server. */
export interface Worker {
  readonly consumer: CompletionConsumer;
  readonly registry: StreamRegistry;
  readonly metrics: WorkerMetrics;
  /**
   * Checks the Redis user's permissions (`RedisPermissionError` naming what is missing), creates the group,
   * starts consuming and serving HTTP; resolves with the bound HTTP port (0 when off).
   */
  start(): Promise<{ httpPort: number }>;
  /** Drains in-flight handlers (up to the shutdown timeout), flushes acks, closes what the worker owns. */
  close(): Promise<void>;
}

/**
 * ioredis TLS options for a `rediss://` URL: the CA from `REDIS_TLS_CA_FILE` (so a private CA works without
 * touching the system trust store) and `rejectUnauthorized`. Empty for a plain `redis://` URL.
 */
export function redisTlsOptions(config: Pick<WorkerConfig, 'redisUrl' | 'redisTls'>): {
  tls?: ConnectionOptions;
} {
  if (!config.redisUrl?.startsWith('rediss://')) return {};
  const { caFile, rejectUnauthorized } = config.redisTls;
  return { tls: { ...(caFile ? { ca: readFileSync(caFile) } : {}), rejectUnauthorized } };
}

/**
 * Builds the worker teams deploy, so they can add per-tool hooks without forking: a consumer whose handler
 * completes chat tasks in the stream registry exactly once.
 */
export function createWorker(options: CreateWorkerOptions): Worker {
  const { config, logger } = options;
  if (!options.redis && !config.redisUrl)
    throw new Error('createWorker: pass `redis` or set config.redisUrl');
  const ownsRedis = !options.redis;
  const redis =
    options.redis ??
    new Redis(config.redisUrl!, {
      maxRetriesPerRequest: null,
      connectionName: 'consumer-worker',
      ...redisTlsOptions(config),
    });
  if (ownsRedis) redis.on('error', (error) => logger.warn({ err: error.message }, 'redis connection error'));

  const registry = new StreamRegistry({
    redis,
    keyLayout: config.keyLayout,
    keyPrefix: config.keyPrefix,
    ttlSeconds: config.taskTtlSeconds,
    logger,
  });
  const webhook = config.webhook ? new WebhookNotifier(config.webhook, logger) : undefined;
  const metrics = new WorkerMetrics();
  const onOutcome = (
    outcome: CompletionOutcome,
    task: { taskId: string; sessionId: string; toolName: string; toolCallId: string },
    detail: { output?: string; error?: string },
  ) => {
    metrics.recordOutcome(outcome, task.toolName);
    logger.info({ outcome, taskId: task.taskId, tool: task.toolName }, 'completion settled');
    if (outcome !== 'duplicate') {
      webhook?.notify({
        task_id: task.taskId,
        session_id: task.sessionId,
        tool_call_id: task.toolCallId,
        tool_name: task.toolName,
        status: outcome,
        ...(detail.output !== undefined ? { result: detail.output } : {}),
        ...(detail.error !== undefined ? { error: detail.error } : {}),
      });
    }
  };
  const consumer = new CompletionConsumer({
    redis,
    stream: config.stream,
    group: config.group,
    consumer: config.consumerName,
    concurrency: config.concurrency,
    maxDeliveries: config.maxDeliveries,
    claimIdleMs: config.claimIdleMs,
    claimIntervalMs: config.claimIntervalMs,
    backoff: config.retry,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    logger,
    handler: createCompletionHandler({ registry, hooks: options.hooks, onOutcome }),
  });
  metrics.attachConsumer(consumer);

  let server: Awaited<ReturnType<typeof startHealthServer>>['server'] | undefined;
  let closing: Promise<void> | undefined;

  return {
    consumer,
    registry,
    metrics,
    async start() {
      const missing = await missingRedisPermissions(redis, config);
      if (missing.length > 0) throw new RedisPermissionError(missing);
      await consumer.start();
      if (options.http === false) return { httpPort: 0 };
      const started = await startHealthServer({
        port: config.httpPort,
        host: config.httpHost,
        metrics: () => metrics.render(),
        readiness: async () => {
          const ping = await Promise.race([
            redis.ping().then(
              () => ({ name: 'redis', ok: true }),
              (error: Error) => ({ name: 'redis', ok: false, detail: error.message }),
            ),
            new Promise<{ name: string; ok: boolean; detail: string }>((resolve) =>
              setTimeout(
                () => resolve({ name: 'redis', ok: false, detail: 'PING timed out after 1000 ms' }),
                1000,
              ),
            ),
          ]);
          let group = { name: 'group', ok: false, detail: 'not checked: redis unreachable' };
          if (ping.ok) {
            try {
              const groups = (await redis.xinfo('GROUPS', config.stream)) as unknown[][];
              const present = groups.some((fields) => fields[fields.indexOf('name') + 1] === config.group);
              group = present
                ? { name: 'group', ok: true, detail: config.group }
                : { name: 'group', ok: false, detail: `group ${config.group} missing on ${config.stream}` };
            } catch (error) {
              group = { name: 'group', ok: false, detail: (error as Error).message };
            }
          }
          const state = consumer.state;
          return [ping, group, { name: 'consumer', ok: state === 'ready', detail: state }];
        },
      });
      server = started.server;
      return { httpPort: started.port };
    },
    close() {
      closing ??= (async () => {
        const steps: [string, () => Promise<unknown>][] = [
          ['consumer', () => consumer.close()],
          ['webhook', async () => webhook?.close()],
          [
            'http',
            () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
          ],
          ['registry', () => registry.close()],
          ['redis', async () => (ownsRedis ? redis.quit().catch(() => redis.disconnect()) : undefined)],
        ];
        for (const [name, step] of steps) {
          try {
            await step();
          } catch (error) {
            logger.warn({ err: (error as Error).message, step: name }, 'close step failed');
          }
        }
      })();
      return closing;
    },
  };
}

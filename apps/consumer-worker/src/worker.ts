import { CompletionConsumer, StreamTrimmer } from '@chat/completion-consumer';
import { CompletionPublisher } from '@chat/completion-publisher';
import type { Logger } from '@chat/completion-schema';
import { connectRedis } from '@chat/pipeline-ops';
import { StreamRegistry } from '@chat/stream-registry';
import type { Cluster, Redis } from 'ioredis';
import { type CompletionOutcome, createCompletionHandler } from './completion-handler.js';
import type { CompletionHookRegistry } from './completion-hooks.js';
import { CompletionSummary } from './completion-summary.js';
import { consumedStreams, type WorkerConfig } from './config.js';
import { createDashboard } from './dashboard/dashboard.js';
import { RedisPermissionError, WorkerOptionsError } from './errors.js';
import { ForeignConsumerWatch } from './foreign-consumers.js';
import { startHealthServer } from './http-server.js';
import { LastKnown } from './last-known.js';
import { WorkerMetrics } from './metrics.js';
import { missingRedisPermissions } from './redis-permissions.js';
import { WebhookNotifier } from './webhook.js';

/** Options of {@link createWorker}. */
export interface CreateWorkerOptions {
  /** Validated configuration, usually from `loadConfig()`; `redisUrl` is required unless `redis` is given. */
  config: WorkerConfig;
  /**
   * A client or cluster the caller owns (never quit by the worker); otherwise one is created from
   * `config.cluster` (an ioredis `Cluster`) or `config.redisUrl`.
   */
  redis?: Redis | Cluster;
  /** pino-compatible logger. */
  logger: Logger;
  /**
   * The application's completion hooks, per tool and a default, e.g.
   * `{ default: { persist, continue }, tools: { create_agent: { transform: saveAgent } } }`.
   */
  hooks?: CompletionHookRegistry;
  /**
   * Serve /healthz, /readyz, /metrics, with `config.dashboardToken` /dashboard and with `config.completionApi`
   * the completion endpoint. @defaultValue true
   */
  http?: boolean;
}

/** Defaults of {@link CreateWorkerOptions}. */
export const DEFAULT_CREATE_WORKER_OPTIONS = Object.freeze({
  /** @defaultValue true */
  http: true,
}) satisfies Partial<CreateWorkerOptions>;

/** {@link CreateWorkerOptions} after {@link resolveCreateWorkerOptions}. */
export interface ResolvedCreateWorkerOptions extends Required<Omit<CreateWorkerOptions, 'redis' | 'hooks'>> {
  redis: Redis | Cluster | undefined;
  hooks: CompletionHookRegistry | undefined;
}

/**
 * Applies {@link DEFAULT_CREATE_WORKER_OPTIONS} and checks that the worker has a way to reach Redis, throwing a
 * {@link WorkerOptionsError} naming the option otherwise.
 */
export function resolveCreateWorkerOptions(options: CreateWorkerOptions): ResolvedCreateWorkerOptions {
  if (!options.redis && !options.config.redisUrl && !options.config.cluster)
    throw new WorkerOptionsError('createWorker: pass `redis` or set config.redisUrl or config.cluster', {
      option: 'redis',
    });
  return {
    config: options.config,
    redis: options.redis,
    logger: options.logger,
    hooks: options.hooks,
    http: options.http ?? DEFAULT_CREATE_WORKER_OPTIONS.http,
  };
}

/** A composed worker: one consumer per consumed partition, the registry, metrics and the health server. */
export interface Worker {
  /** The first consumer (the only one unless several partitions are consumed). */
  readonly consumer: CompletionConsumer;
  /** One consumer per consumed stream ({@link consumedStreams}), in order. */
  readonly consumers: readonly CompletionConsumer[];
  readonly registry: StreamRegistry;
  readonly metrics: WorkerMetrics;
  /**
   * Checks the Redis user's permissions (`RedisPermissionError` naming what is missing), creates the group,
   * starts consuming and serving HTTP; resolves with the bound HTTP port (0 when off).
   */
  start(): Promise<{ httpPort: number }>;
  /**
   * Drains in-flight handlers (up to the shutdown timeout), flushes acks, lets webhook deliveries finish within
   * what is left of that timeout (the rest are dropped and logged), closes what the worker owns.
   */
  close(): Promise<void>;
}

/**
 * How long `/readyz` waits for Redis (PING and the groups' existence) before it reports `redis` not ok, so the
 * probe answers within a second (the usual probe timeout) even when Redis is frozen.
 */
const READINESS_REDIS_DEADLINE_MS = 800;

/**
 * Builds the worker teams deploy, so they can add per-tool hooks without forking: a consumer whose handler
 * completes chat tasks in the stream registry exactly once.
 */
export function createWorker(workerOptions: CreateWorkerOptions): Worker {
  const options = resolveCreateWorkerOptions(workerOptions);
  const { config, logger } = options;
  const ownsRedis = !options.redis;
  const redis = options.redis ?? connect(config);
  if (ownsRedis) redis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));

  const registry = new StreamRegistry({
    redis,
    keyLayout: config.keyLayout,
    chunkDialect: config.chunkDialect,
    keyPrefix: config.keyPrefix,
    ttlSeconds: config.taskTtlSeconds,
    // A completion's owner lease matches the entry's claim idle time: an entry claimed from a dead worker finds
    // the dead worker's completion free to take over.
    completionLeaseMs: config.claimIdleMs,
    logger,
  });
  const webhook = config.webhook ? new WebhookNotifier(config.webhook, logger) : undefined;
  const metrics = new WorkerMetrics();
  const summary = new CompletionSummary(logger, config.logSummaryIntervalMs);
  const onOutcome = (
    outcome: CompletionOutcome,
    task: { taskId: string; sessionId: string; toolName: string; toolCallId: string },
    detail: { output?: string; error?: string },
  ) => {
    metrics.recordOutcome(outcome, task.toolName);
    summary.record(outcome, task.taskId, task.toolName);
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
  const handler = createCompletionHandler({
    registry,
    hooks: options.hooks,
    onOutcome,
    replicaAcks: config.replicaAcks,
    maxDeliveries: config.maxDeliveries,
  });
  // HTTP completions go onto the stream (the first partition's stream for a task, as any producer's would).
  const publisher = config.completionApi
    ? new CompletionPublisher({ redis, stream: config.stream, partitions: config.partitions })
    : undefined;
  const streams = consumedStreams(config);
  const consumers = streams.map(
    (stream) =>
      new CompletionConsumer({
        redis,
        stream,
        group: config.group,
        consumer: config.consumerName,
        concurrency: config.concurrency,
        maxDeliveries: config.maxDeliveries,
        claimIdleMs: config.claimIdleMs,
        claimIntervalMs: config.claimIntervalMs,
        backoff: config.retry,
        shutdownTimeoutMs: config.shutdownTimeoutMs,
        producerTrace: config.producerTrace,
        logger,
        handler,
      }),
  );
  for (const consumer of consumers) metrics.attachConsumer(consumer);
  const trimmers =
    config.trimIntervalMs > 0
      ? streams.map(
          (stream) => new StreamTrimmer({ redis, stream, intervalMs: config.trimIntervalMs, logger }),
        )
      : [];

  const foreignConsumers = new ForeignConsumerWatch({
    redis,
    streams,
    group: config.group,
    intervalMs: config.foreignConsumerCheckMs,
    logger,
    onCheck: (found) => metrics.recordForeignConsumers(found),
  });

  // PING then each group's existence, one probe at a time however often /readyz is asked.
  const redisProbe = new LastKnown(async () => {
    await redis.ping();
    return Promise.all(streams.map((stream) => groupCheck(redis, stream, config.group)));
  }, READINESS_REDIS_DEADLINE_MS);

  let server: Awaited<ReturnType<typeof startHealthServer>>['server'] | undefined;
  let closing: Promise<void> | undefined;

  return {
    consumer: consumers[0]!,
    consumers,
    registry,
    metrics,
    async start() {
      const missing = (
        await Promise.all(streams.map((stream) => missingRedisPermissions(redis, { ...config, stream })))
      ).flat();
      if (missing.length > 0) throw new RedisPermissionError(missing);
      // Before the consumers claim anything, so what the Python side left pending is reported as it was.
      await foreignConsumers.start();
      await Promise.all(consumers.map((consumer) => consumer.start()));
      for (const trimmer of trimmers) trimmer.start();
      if (!options.http) return { httpPort: 0 };
      const started = await startHealthServer({
        port: config.httpPort,
        host: config.httpHost,
        metrics: () => metrics.render(),
        completions:
          publisher && config.completionApi
            ? {
                ...config.completionApi,
                publish: (message) => publisher.publish(message),
                findTaskId: async (operationId) =>
                  (await registry.findTaskByOperationId(operationId))?.taskId ?? null,
              }
            : undefined,
        routes: config.dashboardToken
          ? createDashboard({ token: config.dashboardToken, redis, config, consumers, metrics, logger })
          : undefined,
        readiness: async () => {
          // Only an answer within the deadline counts: an old "ok" must never make a frozen Redis look ready.
          const probe = await redisProbe.read();
          const ping = probe.fresh
            ? { name: 'redis', ok: true }
            : { name: 'redis', ok: false, detail: probe.error };
          const groups = probe.fresh
            ? probe.value!
            : streams.map(() => ({ name: 'group', ok: false, detail: 'not checked: redis unreachable' }));
          const states = consumers.map((consumer, i) => `${streams[i]}=${consumer.state}`);
          const consumer = {
            name: 'consumer',
            ok: consumers.every((c) => c.state === 'ready'),
            detail: consumers.length === 1 ? consumers[0]!.state : states.join(', '),
          };
          return [ping, ...groups, consumer];
        },
      });
      server = started.server;
      return { httpPort: started.port };
    },
    close() {
      closing ??= (async () => {
        // The webhook gets what the drain left of the shutdown deadline; deliveries still unsent then are dropped.
        const deadline = Date.now() + config.shutdownTimeoutMs;
        const steps: [string, () => Promise<unknown>][] = [
          ['consumer', () => Promise.all(consumers.map((consumer) => consumer.close()))],
          ['trimmer', () => Promise.all(trimmers.map((trimmer) => trimmer.close()))],
          ['foreign-consumers', () => foreignConsumers.close()],
          ['summary', async () => summary.close()],
          ['webhook', async () => webhook?.close({ timeoutMs: Math.max(0, deadline - Date.now()) })],
          [
            'http',
            () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
          ],
          ['publisher', async () => publisher?.close()],
          ['registry', () => registry.close()],
          ['redis', async () => (ownsRedis ? redis.quit().catch(() => redis.disconnect()) : undefined)],
        ];
        for (const [name, step] of steps) {
          try {
            await step();
          } catch (error) {
            logger.warn({ err: error, step: name }, 'close step failed');
          }
        }
      })();
      return closing;
    },
  };
}

/** The worker's own connection: an ioredis `Cluster` from `config.cluster`, else a `Redis` from the URL. */
function connect(config: WorkerConfig): Redis | Cluster {
  // Commands wait for Redis to come back instead of failing: the consumer rides out outages.
  return connectRedis(config, { connectionName: 'consumer-worker', maxRetriesPerRequest: null });
}

/** Readiness of one stream: its consumer group exists. */
async function groupCheck(
  redis: Redis | Cluster,
  stream: string,
  group: string,
): Promise<{ name: string; ok: boolean; detail: string }> {
  try {
    const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
    const present = groups.some((fields) => fields[fields.indexOf('name') + 1] === group);
    return present
      ? { name: 'group', ok: true, detail: `${group} on ${stream}` }
      : { name: 'group', ok: false, detail: `group ${group} missing on ${stream}` };
  } catch (error) {
    return { name: 'group', ok: false, detail: (error as Error).message };
  }
}

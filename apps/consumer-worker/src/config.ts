import { hostname } from 'node:os';
import { DEFAULT_TRIMMER_OPTIONS } from '@chat/completion-consumer';
import { MAX_MESSAGE_BYTES, partitionStream } from '@chat/completion-schema';
import {
  type ConnectionConfig,
  cleanEnv,
  connectionConfigOf,
  connectionEnvSchema,
  connectionProblems,
} from '@chat/pipeline-ops';
import { z } from 'zod';
import { likelyMeant } from './env-typos.js';
import { ConfigError } from './errors.js';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

/**
 * Environment variables the worker reads, each with its default: the connection variables it shares with the
 * `chat-pipeline` CLI (`connectionEnvSchema`), then its own. The README's table mirrors this schema.
 */
export const workerEnvSchema = connectionEnvSchema.extend({
  NODE_ENV: z.string().default('development'),
  CONSUMER_PARTITIONS: z
    .string()
    .regex(/^\s*\d+\s*(,\s*\d+\s*)*$/, 'must be a comma-separated list of partition numbers, e.g. 0,2')
    .optional(),
  TRIM_INTERVAL_MS: int(0).default(DEFAULT_TRIMMER_OPTIONS.intervalMs),
  REPLICA_ACKS: int(0, 16).default(0),
  REPLICA_ACK_TIMEOUT_MS: int(1).default(1000),
  CONSUMER_NAME: z.string().min(1).optional(),
  POD_NAME: z.string().min(1).optional(),
  CONCURRENCY: int(1, 1024).default(16),
  MAX_DELIVERIES: int(1, 1000).default(5),
  CLAIM_IDLE_MS: int(100).default(60_000),
  CLAIM_INTERVAL_MS: int(10).default(5_000),
  FOREIGN_CONSUMER_CHECK_MS: int(0).default(60_000),
  RETRY_BASE_MS: int(1).default(1_000),
  RETRY_MAX_MS: int(1).default(30_000),
  SHUTDOWN_TIMEOUT_MS: int(0).default(10_000),
  HTTP_PORT: int(0, 65_535).default(8080),
  HTTP_HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_SUMMARY_INTERVAL_MS: int(1000).default(60_000),
  PRODUCER_TRACE: z.enum(['link', 'parent']).default('link'),
  CHUNK_DIALECT: z.enum(['original', 'ai-sdk']).optional(),
  TASK_TTL_SECONDS: int(1).default(3600),
  DATA_DIR: z.string().min(1).default('.data'),
  WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  COMPLETION_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  COMPLETION_MAX_BODY_BYTES: int(1).default(MAX_MESSAGE_BYTES),
  DASHBOARD_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
});

/** The validated worker configuration. */
export interface WorkerConfig extends ConnectionConfig {
  nodeEnv: string;
  /** The partitions this worker consumes (`CONSUMER_PARTITIONS`, default all), in order. */
  consumerPartitions: number[];
  /** The streams this worker consumes: `partitionStream(stream, i, partitions)` for each consumed partition. */
  streams: string[];
  /**
   * Safe trimming of each consumed stream every this many ms (`XTRIM MINID` at what every group acked), on by
   * default so the stream stays small without a producer cap that could delete unread entries; 0 = off.
   */
  trimIntervalMs: number;
  /** Replicas that must have a completion's writes before its ack (`WAIT`), and the wait's bound; 0 = off. */
  replicaAcks: { replicas: number; timeoutMs: number };
  consumerName: string;
  concurrency: number;
  maxDeliveries: number;
  claimIdleMs: number;
  claimIntervalMs: number;
  /** Checks for consumers of the Python original holding pending entries in the group, every this many ms; 0 = at start only. */
  foreignConsumerCheckMs: number;
  /** Backoff of failed messages: first delay and cap, in ms. */
  retry: { baseMs: number; maxMs: number };
  shutdownTimeoutMs: number;
  httpPort: number;
  httpHost: string;
  logLevel: z.infer<typeof workerEnvSchema>['LOG_LEVEL'];
  /** How often the `completions summary` line is logged at info (each completion is logged at debug). */
  logSummaryIntervalMs: number;
  /** How a delivery's span relates to the producer's: linked (default) or its child (the consumer's `producerTrace`). */
  producerTrace: 'link' | 'parent';
  /** How tool outcomes are written into chunk streams; unset = the registry's default for the key layout. */
  chunkDialect: 'original' | 'ai-sdk' | undefined;
  taskTtlSeconds: number;
  dataDir: string;
  webhook: { url: string; secret: string } | undefined;
  /**
   * The HTTP completion endpoint (`POST /operations/{operation_id}/complete`): on when `COMPLETION_API_KEY` is
   * set, with the body cap `COMPLETION_MAX_BODY_BYTES`.
   */
  completionApi: { apiKey: string; maxBodyBytes: number } | undefined;
  /** Serves the live dashboard at `/dashboard` to requests with this token (`DASHBOARD_TOKEN`); off when unset. */
  dashboardToken?: string | undefined;
}

/** The variables {@link workerEnvSchema} reads; a close misspelling of one is refused (see {@link likelyMeant}). */
export const WORKER_ENV_NAMES: readonly string[] = Object.freeze(Object.keys(workerEnvSchema.shape));

/** Reads and validates the worker's configuration from environment variables, listing every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  // Empty strings mean "unset", as in most deployment tools.
  const cleaned = cleanEnv(env);
  const parsed = workerEnvSchema.safeParse(cleaned);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
  }
  // A misspelt variable would otherwise be ignored in silence and its default used instead.
  for (const name of Object.keys(env)) {
    const meant = likelyMeant(name, WORKER_ENV_NAMES);
    if (meant) problems.push(`${name}: not a variable the worker reads; did you mean ${meant}?`);
  }
  // Cross-field rules read the raw values, so they are reported together with the per-variable problems.
  const raw = cleaned as Record<string, string | undefined>;
  // The schema's default, also when another variable failed to parse.
  const nodeEnv = workerEnvSchema.shape.NODE_ENV.safeParse(raw.NODE_ENV).data;
  if (nodeEnv === 'production' && !raw.REDIS_URL && !raw.REDIS_CLUSTER_NODES) {
    problems.push('REDIS_URL: required when NODE_ENV is production (or REDIS_CLUSTER_NODES for a cluster)');
  }
  const cluster = connectionProblems(raw, problems);
  const partitionsDone = partitionPlan(parsed.success ? parsed.data : undefined, problems);
  if (!!raw.WEBHOOK_URL !== !!raw.WEBHOOK_SECRET) {
    problems.push('WEBHOOK_URL/WEBHOOK_SECRET: set both or neither');
  }
  const values = parsed.success ? parsed.data : undefined;
  // Each side on its own, so the rule is reported even when an unrelated variable is bad too.
  const retryBase = workerEnvSchema.shape.RETRY_BASE_MS.safeParse(raw.RETRY_BASE_MS);
  const retryMax = workerEnvSchema.shape.RETRY_MAX_MS.safeParse(raw.RETRY_MAX_MS);
  if (retryBase.success && retryMax.success && retryBase.data > retryMax.data) {
    problems.push(
      `RETRY_BASE_MS: ${retryBase.data} must not exceed RETRY_MAX_MS (${retryMax.data}): the first retry delay is the smaller one`,
    );
  }
  if (problems.length > 0 || !values) throw new ConfigError(problems);
  return {
    nodeEnv: values.NODE_ENV,
    ...connectionConfigOf(values, cluster),
    consumerPartitions: partitionsDone!.consumed,
    streams: partitionsDone!.streams,
    trimIntervalMs: values.TRIM_INTERVAL_MS,
    replicaAcks: { replicas: values.REPLICA_ACKS, timeoutMs: values.REPLICA_ACK_TIMEOUT_MS },
    consumerName: values.CONSUMER_NAME ?? values.POD_NAME ?? `${hostname()}-${process.pid}`,
    concurrency: values.CONCURRENCY,
    maxDeliveries: values.MAX_DELIVERIES,
    claimIdleMs: values.CLAIM_IDLE_MS,
    claimIntervalMs: values.CLAIM_INTERVAL_MS,
    foreignConsumerCheckMs: values.FOREIGN_CONSUMER_CHECK_MS,
    retry: { baseMs: values.RETRY_BASE_MS, maxMs: values.RETRY_MAX_MS },
    shutdownTimeoutMs: values.SHUTDOWN_TIMEOUT_MS,
    httpPort: values.HTTP_PORT,
    httpHost: values.HTTP_HOST,
    logLevel: values.LOG_LEVEL,
    logSummaryIntervalMs: values.LOG_SUMMARY_INTERVAL_MS,
    producerTrace: values.PRODUCER_TRACE,
    chunkDialect: values.CHUNK_DIALECT,
    taskTtlSeconds: values.TASK_TTL_SECONDS,
    dataDir: values.DATA_DIR,
    webhook:
      values.WEBHOOK_URL && values.WEBHOOK_SECRET
        ? { url: values.WEBHOOK_URL, secret: values.WEBHOOK_SECRET }
        : undefined,
    completionApi: values.COMPLETION_API_KEY
      ? { apiKey: values.COMPLETION_API_KEY, maxBodyBytes: values.COMPLETION_MAX_BODY_BYTES }
      : undefined,
    dashboardToken: values.DASHBOARD_TOKEN,
  };
}

/**
 * The streams a worker with `config` consumes, and so the ones its permission check, readiness and trimmers
 * cover: `config.streams`, or the single `config.stream` when a hand-built configuration leaves `streams` empty.
 */
export function consumedStreams(config: Pick<WorkerConfig, 'stream' | 'streams'>): string[] {
  return config.streams.length > 0 ? [...config.streams] : [config.stream];
}

/** Which partitions to consume and their stream names; problems are added to `problems`. */
function partitionPlan(
  values: z.infer<typeof workerEnvSchema> | undefined,
  problems: string[],
): { consumed: number[]; streams: string[] } | undefined {
  if (!values) return undefined;
  const all = Array.from({ length: values.PARTITIONS }, (_, i) => i);
  const consumed = values.CONSUMER_PARTITIONS
    ? [...new Set(values.CONSUMER_PARTITIONS.split(',').map((part) => Number(part.trim())))].sort(
        (a, b) => a - b,
      )
    : all;
  const outside = consumed.filter((i) => i >= values.PARTITIONS);
  if (outside.length > 0)
    problems.push(
      `CONSUMER_PARTITIONS: ${outside.join(', ')} outside 0…${values.PARTITIONS - 1} (PARTITIONS is ${values.PARTITIONS})`,
    );
  try {
    return {
      consumed,
      streams: consumed
        .filter((i) => i < values.PARTITIONS)
        .map((i) => partitionStream(values.COMPLETION_STREAM, i, values.PARTITIONS)),
    };
  } catch (error) {
    problems.push(`COMPLETION_STREAM: ${(error as Error).message}`);
    return undefined;
  }
}

// Shared with the CLI; re-exported so the worker's modules and its users keep one import.
export { type ClusterConfig, parseClusterNodes, redactUrl } from '@chat/pipeline-ops';

import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { DEFAULT_TRIMMER_OPTIONS } from '@chat/completion-consumer';
import {
  DEFAULT_COMPLETION_STREAM,
  DEFAULT_CONSUMER_GROUP,
  MAX_PARTITIONS,
  partitionStream,
} from '@chat/completion-schema';
import { z } from 'zod';
import { likelyMeant } from './env-typos.js';
import { ConfigError } from './errors.js';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

/** Environment variables the worker reads, each with its default. The README's table mirrors this schema. */
export const workerEnvSchema = z.object({
  NODE_ENV: z.string().default('development'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .optional(),
  REDIS_TLS_CA_FILE: z.string().min(1).optional(),
  REDIS_TLS_REJECT_UNAUTHORIZED: z.enum(['true', 'false']).default('true'),
  REDIS_CLUSTER_NODES: z.string().optional(),
  COMPLETION_STREAM: z.string().min(1).default(DEFAULT_COMPLETION_STREAM),
  PARTITIONS: int(1, MAX_PARTITIONS).default(1),
  CONSUMER_PARTITIONS: z
    .string()
    .regex(/^\s*\d+\s*(,\s*\d+\s*)*$/, 'must be a comma-separated list of partition numbers, e.g. 0,2')
    .optional(),
  TRIM_INTERVAL_MS: int(0).default(DEFAULT_TRIMMER_OPTIONS.intervalMs),
  REPLICA_ACKS: int(0, 16).default(0),
  REPLICA_ACK_TIMEOUT_MS: int(1).default(1000),
  CONSUMER_GROUP: z.string().min(1).default(DEFAULT_CONSUMER_GROUP),
  CONSUMER_NAME: z.string().min(1).optional(),
  POD_NAME: z.string().min(1).optional(),
  CONCURRENCY: int(1, 1024).default(16),
  MAX_DELIVERIES: int(1, 1000).default(5),
  CLAIM_IDLE_MS: int(100).default(60_000),
  CLAIM_INTERVAL_MS: int(10).default(5_000),
  RETRY_BASE_MS: int(1).default(1_000),
  RETRY_MAX_MS: int(1).default(30_000),
  SHUTDOWN_TIMEOUT_MS: int(0).default(10_000),
  HTTP_PORT: int(0, 65_535).default(8080),
  HTTP_HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  KEY_LAYOUT: z.enum(['compat', 'cluster']).default('compat'),
  KEY_PREFIX: z.string().default('chat:'),
  TASK_TTL_SECONDS: int(1).default(3600),
  DATA_DIR: z.string().min(1).default('.data'),
  WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
});

/** How to reach a Redis Cluster: seed nodes, plus credentials and TLS taken from `redis(s)://` seeds. */
export interface ClusterConfig {
  nodes: { host: string; port: number }[];
  username: string | undefined;
  password: string | undefined;
  tls: boolean;
}

/** The validated worker configuration. */
export interface WorkerConfig {
  nodeEnv: string;
  /** Undefined outside production: the worker then starts an embedded redis-server (unless `cluster` is set). */
  redisUrl: string | undefined;
  /** TLS settings for a `rediss://` URL: a CA file to trust (PEM) and whether to verify the server's certificate. */
  redisTls: { caFile: string | undefined; rejectUnauthorized: boolean };
  /** Set from `REDIS_CLUSTER_NODES`: the worker connects with an ioredis `Cluster`. */
  cluster: ClusterConfig | undefined;
  /** The completion stream, or the base name of its partitions when `partitions` > 1. */
  stream: string;
  /** Partition streams producers publish to (`PARTITIONS`; 1 = the stream itself). */
  partitions: number;
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
  group: string;
  consumerName: string;
  concurrency: number;
  maxDeliveries: number;
  claimIdleMs: number;
  claimIntervalMs: number;
  /** Backoff of failed messages: first delay and cap, in ms. */
  retry: { baseMs: number; maxMs: number };
  shutdownTimeoutMs: number;
  httpPort: number;
  httpHost: string;
  logLevel: z.infer<typeof workerEnvSchema>['LOG_LEVEL'];
  keyLayout: 'compat' | 'cluster';
  keyPrefix: string;
  taskTtlSeconds: number;
  dataDir: string;
  webhook: { url: string; secret: string } | undefined;
}

/** The variables {@link workerEnvSchema} reads; a close misspelling of one is refused (see {@link likelyMeant}). */
export const WORKER_ENV_NAMES: readonly string[] = Object.freeze(Object.keys(workerEnvSchema.shape));

/** Reads and validates the worker's configuration from environment variables, listing every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  // Empty strings mean "unset", as in most deployment tools.
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
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
  // A variable's default is the schema's, also when another variable failed to parse.
  const defaulted = <K extends 'NODE_ENV' | 'KEY_LAYOUT'>(name: K) =>
    workerEnvSchema.shape[name].safeParse(raw[name]).data;
  if (defaulted('NODE_ENV') === 'production' && !raw.REDIS_URL && !raw.REDIS_CLUSTER_NODES) {
    problems.push('REDIS_URL: required when NODE_ENV is production (or REDIS_CLUSTER_NODES for a cluster)');
  }
  if (raw.REDIS_TLS_CA_FILE && !existsSync(raw.REDIS_TLS_CA_FILE)) {
    problems.push(`REDIS_TLS_CA_FILE: no such file ${raw.REDIS_TLS_CA_FILE}`);
  }
  let cluster: ClusterConfig | undefined;
  if (raw.REDIS_CLUSTER_NODES) {
    if (raw.REDIS_URL) problems.push('REDIS_URL/REDIS_CLUSTER_NODES: set one of them, not both');
    if (defaulted('KEY_LAYOUT') !== 'cluster')
      problems.push(
        'KEY_LAYOUT: must be cluster when REDIS_CLUSTER_NODES is set (a task hash and its chunk stream need one {task_id} hash tag)',
      );
    try {
      cluster = parseClusterNodes(raw.REDIS_CLUSTER_NODES);
    } catch (error) {
      problems.push(`REDIS_CLUSTER_NODES: ${(error as Error).message}`);
    }
  }
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
    redisUrl: values.REDIS_URL,
    redisTls: {
      caFile: values.REDIS_TLS_CA_FILE,
      rejectUnauthorized: values.REDIS_TLS_REJECT_UNAUTHORIZED === 'true',
    },
    cluster,
    stream: values.COMPLETION_STREAM,
    partitions: values.PARTITIONS,
    consumerPartitions: partitionsDone!.consumed,
    streams: partitionsDone!.streams,
    trimIntervalMs: values.TRIM_INTERVAL_MS,
    replicaAcks: { replicas: values.REPLICA_ACKS, timeoutMs: values.REPLICA_ACK_TIMEOUT_MS },
    group: values.CONSUMER_GROUP,
    consumerName: values.CONSUMER_NAME ?? values.POD_NAME ?? `${hostname()}-${process.pid}`,
    concurrency: values.CONCURRENCY,
    maxDeliveries: values.MAX_DELIVERIES,
    claimIdleMs: values.CLAIM_IDLE_MS,
    claimIntervalMs: values.CLAIM_INTERVAL_MS,
    retry: { baseMs: values.RETRY_BASE_MS, maxMs: values.RETRY_MAX_MS },
    shutdownTimeoutMs: values.SHUTDOWN_TIMEOUT_MS,
    httpPort: values.HTTP_PORT,
    httpHost: values.HTTP_HOST,
    logLevel: values.LOG_LEVEL,
    keyLayout: values.KEY_LAYOUT,
    keyPrefix: values.KEY_PREFIX,
    taskTtlSeconds: values.TASK_TTL_SECONDS,
    dataDir: values.DATA_DIR,
    webhook:
      values.WEBHOOK_URL && values.WEBHOOK_SECRET
        ? { url: values.WEBHOOK_URL, secret: values.WEBHOOK_SECRET }
        : undefined,
  };
}

/**
 * The streams a worker with `config` consumes, and so the ones its permission check, readiness and trimmers
 * cover: `config.streams`, or the single `config.stream` when a hand-built configuration leaves `streams` empty.
 */
export function consumedStreams(config: Pick<WorkerConfig, 'stream' | 'streams'>): string[] {
  return config.streams.length > 0 ? [...config.streams] : [config.stream];
}

/**
 * Parses `REDIS_CLUSTER_NODES`: comma-separated `host:port` or `redis(s)://[user:pass@]host:port` seeds. The
 * credentials and TLS of URL seeds apply to every node (a cluster has one ACL and one TLS setting).
 */
export function parseClusterNodes(text: string): ClusterConfig {
  const config: ClusterConfig = { nodes: [], username: undefined, password: undefined, tls: false };
  for (const item of text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const url = /^rediss?:\/\//.test(item) ? new URL(item) : new URL(`redis://${item}`);
    const port = Number(url.port || 6379);
    if (!url.hostname || !Number.isInteger(port) || port < 1 || port > 65_535)
      throw new Error(`${JSON.stringify(redactUrl(item))} is not host:port or a redis:// URL`);
    config.nodes.push({ host: url.hostname.replace(/^\[|\]$/g, ''), port });
    if (url.protocol === 'rediss:') config.tls = true;
    if (url.username) config.username ??= decodeURIComponent(url.username);
    if (url.password) config.password ??= decodeURIComponent(url.password);
  }
  if (config.nodes.length === 0) throw new Error('give at least one host:port');
  return config;
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

/** The URL with any password replaced by `***`, safe to log. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^@/]*)@/, '//***@');
  }
}

import { existsSync, readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import {
  DEFAULT_COMPLETION_STREAM,
  DEFAULT_CONSUMER_GROUP,
  MAX_PARTITIONS,
  partitionStreams,
} from '@chat/completion-schema';
import { Cluster, Redis } from 'ioredis';
import { z } from 'zod';
import { OpsConfigError } from './errors.js';

/**
 * The environment variables that say where a pipeline lives in Redis: how to connect (`REDIS_URL` or
 * `REDIS_CLUSTER_NODES`, TLS), its key layout and its streams. The worker extends this schema with its own
 * variables; the `chat-pipeline` CLI reads exactly these, so both find the same keys.
 */
export const connectionEnvSchema = z.object({
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .optional(),
  REDIS_TLS_CA_FILE: z.string().min(1).optional(),
  REDIS_TLS_REJECT_UNAUTHORIZED: z.enum(['true', 'false']).default('true'),
  REDIS_CLUSTER_NODES: z.string().optional(),
  COMPLETION_STREAM: z.string().min(1).default(DEFAULT_COMPLETION_STREAM),
  PARTITIONS: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(MAX_PARTITIONS, `must be at most ${MAX_PARTITIONS}`)
    .default(1),
  CONSUMER_GROUP: z.string().min(1).default(DEFAULT_CONSUMER_GROUP),
  KEY_LAYOUT: z.enum(['compat', 'cluster']).default('compat'),
  KEY_PREFIX: z.string().default('chat:'),
});

/** How to reach a Redis Cluster: seed nodes, plus credentials and TLS taken from `redis(s)://` seeds. */
export interface ClusterConfig {
  nodes: { host: string; port: number }[];
  username: string | undefined;
  password: string | undefined;
  tls: boolean;
}

/** Where a pipeline lives: the validated {@link connectionEnvSchema} variables. */
export interface ConnectionConfig {
  /** `REDIS_URL`; undefined when `cluster` is set (or, for the worker, when it runs an embedded server). */
  redisUrl: string | undefined;
  /** TLS settings for `rediss://`: a CA file to trust (PEM) and whether to verify the server's certificate. */
  redisTls: { caFile: string | undefined; rejectUnauthorized: boolean };
  /** Set from `REDIS_CLUSTER_NODES`: connect with an ioredis `Cluster`. */
  cluster: ClusterConfig | undefined;
  /** The completion stream, or the base name of its partitions when `partitions` > 1. */
  stream: string;
  /** Partition streams producers publish to (`PARTITIONS`; 1 = the stream itself). */
  partitions: number;
  group: string;
  keyLayout: 'compat' | 'cluster';
  keyPrefix: string;
}

/** The names {@link connectionEnvSchema} reads. */
export const CONNECTION_ENV_NAMES: readonly string[] = Object.freeze(Object.keys(connectionEnvSchema.shape));

/** `env` without empty values: an empty string means "unset", as in most deployment tools. */
export function cleanEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );
}

/**
 * The rules between connection variables, on raw (cleaned) values, so they are reported together with any
 * per-variable problem: a CA file that does not exist, `REDIS_URL` and `REDIS_CLUSTER_NODES` together, a
 * cluster without `KEY_LAYOUT=cluster`, unreadable seeds. Adds to `problems`; returns the parsed seeds.
 */
export function connectionProblems(
  raw: Record<string, string | undefined>,
  problems: string[],
): ClusterConfig | undefined {
  if (raw.REDIS_TLS_CA_FILE && !existsSync(raw.REDIS_TLS_CA_FILE)) {
    problems.push(`REDIS_TLS_CA_FILE: no such file ${raw.REDIS_TLS_CA_FILE}`);
  }
  if (!raw.REDIS_CLUSTER_NODES) return undefined;
  if (raw.REDIS_URL) problems.push('REDIS_URL/REDIS_CLUSTER_NODES: set one of them, not both');
  // The schema's default, also when another variable failed to parse.
  if (connectionEnvSchema.shape.KEY_LAYOUT.safeParse(raw.KEY_LAYOUT).data !== 'cluster')
    problems.push(
      'KEY_LAYOUT: must be cluster when REDIS_CLUSTER_NODES is set (a task hash and its chunk stream need one {task_id} hash tag)',
    );
  try {
    return parseClusterNodes(raw.REDIS_CLUSTER_NODES);
  } catch (error) {
    problems.push(`REDIS_CLUSTER_NODES: ${(error as Error).message}`);
    return undefined;
  }
}

/** The {@link ConnectionConfig} part of validated values and the seeds {@link connectionProblems} parsed. */
export function connectionConfigOf(
  values: z.infer<typeof connectionEnvSchema>,
  cluster: ClusterConfig | undefined,
): ConnectionConfig {
  return {
    redisUrl: values.REDIS_URL,
    redisTls: {
      caFile: values.REDIS_TLS_CA_FILE,
      rejectUnauthorized: values.REDIS_TLS_REJECT_UNAUTHORIZED === 'true',
    },
    cluster,
    stream: values.COMPLETION_STREAM,
    partitions: values.PARTITIONS,
    group: values.CONSUMER_GROUP,
    keyLayout: values.KEY_LAYOUT,
    keyPrefix: values.KEY_PREFIX,
  };
}

/**
 * Reads the connection variables from `env`, listing every problem at once in an {@link OpsConfigError}. Unlike
 * the worker, it needs `REDIS_URL` or `REDIS_CLUSTER_NODES`: an operator's tool never starts its own Redis.
 */
export function loadConnectionConfig(env: NodeJS.ProcessEnv = process.env): ConnectionConfig {
  const raw = cleanEnv(env);
  const parsed = connectionEnvSchema.safeParse(raw);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
  }
  if (!raw.REDIS_URL && !raw.REDIS_CLUSTER_NODES)
    problems.push('REDIS_URL: set it (or REDIS_CLUSTER_NODES for a cluster)');
  const cluster = connectionProblems(raw, problems);
  if (parsed.success && problems.length === 0) {
    try {
      partitionStreams(parsed.data.COMPLETION_STREAM, parsed.data.PARTITIONS);
    } catch (error) {
      problems.push(`COMPLETION_STREAM: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new OpsConfigError(problems);
  return connectionConfigOf(parsed.data, cluster);
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

/**
 * ioredis TLS options for a `rediss://` URL or TLS cluster seeds: the CA from `REDIS_TLS_CA_FILE` (so a private CA
 * works without touching the system trust store) and `rejectUnauthorized`. Empty without TLS.
 */
export function redisTlsOptions(config: Pick<ConnectionConfig, 'redisUrl' | 'redisTls' | 'cluster'>): {
  tls?: ConnectionOptions;
} {
  const tls = config.cluster ? config.cluster.tls : config.redisUrl?.startsWith('rediss://');
  if (!tls) return {};
  const { caFile, rejectUnauthorized } = config.redisTls;
  return { tls: { ...(caFile ? { ca: readFileSync(caFile) } : {}), rejectUnauthorized } };
}

/** Options of {@link connectRedis}. */
export interface ConnectRedisOptions {
  /** `CLIENT SETNAME`, so the connection is recognisable in `CLIENT LIST`. */
  connectionName: string;
  /** ioredis `maxRetriesPerRequest`: null waits for Redis forever (a service), a number fails fast (a CLI). */
  maxRetriesPerRequest: number | null;
  /** Passed to ioredis: how long a connection attempt may take, in ms. */
  connectTimeout?: number;
  /** ioredis `retryStrategy` for single servers and cluster nodes; `null` return = stop retrying. */
  retryStrategy?: (times: number) => number | null;
}

/**
 * Opens the connection `config` describes: an ioredis `Cluster` for `cluster` (slots refreshed every 2 s, so a
 * failover is noticed even by idle connections), else a `Redis` on `redisUrl`. The caller owns and closes it.
 */
export function connectRedis(config: ConnectionConfig, options: ConnectRedisOptions): Redis | Cluster {
  const common = {
    ...redisTlsOptions(config),
    connectionName: options.connectionName,
    maxRetriesPerRequest: options.maxRetriesPerRequest,
    ...(options.connectTimeout !== undefined ? { connectTimeout: options.connectTimeout } : {}),
  };
  if (config.cluster) {
    const { nodes, username, password } = config.cluster;
    return new Cluster(nodes, {
      redisOptions: { username, password, ...common },
      slotsRefreshInterval: 2000,
      ...(options.retryStrategy ? { clusterRetryStrategy: options.retryStrategy } : {}),
    });
  }
  if (!config.redisUrl)
    throw new OpsConfigError(['REDIS_URL: set it (or REDIS_CLUSTER_NODES for a cluster)']);
  return new Redis(config.redisUrl, {
    ...common,
    ...(options.retryStrategy ? { retryStrategy: options.retryStrategy } : {}),
  });
}

import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { DEFAULT_COMPLETION_STREAM, DEFAULT_CONSUMER_GROUP } from '@chat/completion-schema';
import { z } from 'zod';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

/** Environment variables the worker reads, each with its default. The README's table mirrors this schema. */
export const workerEnvSchema = z.object({
  NODE_ENV: z.string().default('development'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .optional(),
  REDIS_TLS_CA_FILE: z.string().min(1).optional(),
  REDIS_TLS_REJECT_UNAUTHORIZED: z.enum(['true', 'false']).default('true'),
  COMPLETION_STREAM: z.string().min(1).default(DEFAULT_COMPLETION_STREAM),
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

/** The validated worker configuration. */
export interface WorkerConfig {
  nodeEnv: string;
  /** Undefined outside production: the worker then starts an embedded redis-server. */
  redisUrl: string | undefined;
  /** TLS settings for a `rediss://` URL: a CA file to trust (PEM) and whether to verify the server's certificate. */
  redisTls: { caFile: string | undefined; rejectUnauthorized: boolean };
  stream: string;
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

/** Thrown by {@link loadConfig}: one line per bad variable, all at once. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

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
  // Cross-field rules read the raw values, so they are reported together with the per-variable problems.
  const raw = cleaned as Record<string, string | undefined>;
  if ((raw.NODE_ENV ?? 'development') === 'production' && !raw.REDIS_URL) {
    problems.push('REDIS_URL: required when NODE_ENV is production');
  }
  if (raw.REDIS_TLS_CA_FILE && !existsSync(raw.REDIS_TLS_CA_FILE)) {
    problems.push(`REDIS_TLS_CA_FILE: no such file ${raw.REDIS_TLS_CA_FILE}`);
  }
  if (!!raw.WEBHOOK_URL !== !!raw.WEBHOOK_SECRET) {
    problems.push('WEBHOOK_URL/WEBHOOK_SECRET: set both or neither');
  }
  const values = parsed.success ? parsed.data : undefined;
  if (values && values.RETRY_BASE_MS > values.RETRY_MAX_MS) {
    problems.push('RETRY_BASE_MS: must not exceed RETRY_MAX_MS');
  }
  if (problems.length > 0 || !values) throw new ConfigError(problems);
  return {
    nodeEnv: values.NODE_ENV,
    redisUrl: values.REDIS_URL,
    redisTls: {
      caFile: values.REDIS_TLS_CA_FILE,
      rejectUnauthorized: values.REDIS_TLS_REJECT_UNAUTHORIZED === 'true',
    },
    stream: values.COMPLETION_STREAM,
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

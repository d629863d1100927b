import type { Logger } from '@chat/completion-schema';
import { silentLogger } from '@chat/completion-schema/internal';
import type { Cluster, Redis } from 'ioredis';
import { CHUNK_DIALECTS, type ChunkDialect } from './chunk-dialect.js';
import { MAX_CHUNK_BYTES } from './chunk-schema.js';
import { StreamRegistryOptionsError } from './errors.js';

/** Key naming: `compat` is the Python original's, `cluster` adds `{<task_id>}` hash tags for Redis Cluster. */
export type KeyLayout = 'compat' | 'cluster';

/** Options of {@link StreamRegistry}; every field but the connection has a default. */
export interface StreamRegistryOptions {
  /** A connection the caller owns; never quit by the registry. Give this or `url`. */
  redis?: Redis | Cluster;
  /** A Redis URL; the registry opens (and on `close()` quits) its own connection. */
  url?: string;
  /** @defaultValue 'compat' */
  keyLayout?: KeyLayout;
  /** @defaultValue 'chat:' */
  keyPrefix?: string;
  /**
   * How a tool's outcome is written into the chunk stream (see {@link ChunkDialect}). With the `compat` layout
   * the default is `original`, so Python pods sharing the Redis show what our worker wrote (a failure is then an
   * `error` chunk, not tied to the tool part); with `cluster`, where no Python reader shares the keys, `ai-sdk`.
   * @defaultValue 'original' with the compat layout, 'ai-sdk' with the cluster layout ({@link DEFAULT_CHUNK_DIALECT})
   */
  chunkDialect?: ChunkDialect;
  /** TTL of task hashes, chunk streams and the indexes, refreshed on every write. @defaultValue 3600 */
  ttlSeconds?: number;
  /** Approximate cap of each chunk stream (`XADD MAXLEN ~`). @defaultValue 10000 */
  streamMaxLen?: number;
  /**
   * Largest chunk JSON, and largest stored `result` or `error`, in bytes; larger ones are refused with
   * `too_large` before anything is written. The default fits the output of every valid completion message (see
   * {@link MAX_CHUNK_BYTES} for the derivation).
   * @defaultValue 2162688 ({@link MAX_CHUNK_BYTES})
   */
  maxChunkBytes?: number;
  /** Where the registry reports background trouble (the shared reader). @defaultValue silentLogger */
  logger?: Logger;
  /** Live entries buffered per subscriber before it is cut off with a resume cursor. @defaultValue 1000 */
  subscriberBufferSize?: number;
  /** SSE keep-alive comment interval. @defaultValue 15000 */
  keepAliveMs?: number;
  /** SSE `retry:` hint sent to browsers. @defaultValue 3000 */
  retryMs?: number;
  /** BLOCK of the shared reader's XREAD; bounds how late a new stream joins if it cannot be woken. @defaultValue 2000 */
  blockMs?: number;
  /**
   * On a Redis Cluster, pause between polling rounds of a node whose live-tailed streams span several slots
   * (one node cannot block on one XREAD across slots); bounds the extra latency of a live chunk there.
   * @defaultValue 100
   */
  clusterPollMs?: number;
  /** COUNT per stream of the shared reader's XREAD. @defaultValue 500 */
  readCount?: number;
  /**
   * Blocking connections that share the live tailing on a single server, each tailing its share of the streams
   * (by key hash). A reader re-issues its XREAD with all of its streams after each wake, so with thousands of
   * streams tailed at once (one per open chat) more connections make each live chunk cheaper for Redis and the
   * reader. Ignored on a Redis Cluster (one reader per master there). @defaultValue 1
   */
  readerConnections?: number;
  /** Entries per XRANGE page during replay. @defaultValue 500 */
  replayPageSize?: number;
  /** A live subscriber idle this long re-checks that its task still exists. @defaultValue 30000 */
  idleCheckMs?: number;
  /** Newest tasks of a session looked at by `getActiveTaskForSession`. @defaultValue 20 */
  sessionIndexLimit?: number;
  /**
   * How long a worker owns a settled task's completion without writing to it, in ms (every step renews it). Once
   * it has run out, `settleTask` hands the completion to the next caller, whose writes then fence the old owner
   * out. Keep it at the consumer's `claimIdleMs`, so an entry claimed from a dead worker finds its lease expired.
   * @defaultValue 60000
   */
  completionLeaseMs?: number;
  /**
   * `compat` layout: when `getActiveTaskForSession` finds no task in the session index, SCAN the task hashes for
   * running tasks in no index (the Python original's chat API writes none) and index them, at most once per this
   * many ms (lookups that miss meanwhile share the sweep under way, or skip it). A lookup that hits the index never
   * SCANs. 0 turns it off (tasks the original created are then never found); ignored in the `cluster` layout,
   * which the original cannot write. @defaultValue 1000
   */
  foreignTaskSweepMs?: number;
}

/** The defaults of {@link StreamRegistryOptions}, in one place. */
export const DEFAULT_STREAM_REGISTRY_OPTIONS = Object.freeze({
  keyLayout: 'compat',
  keyPrefix: 'chat:',
  ttlSeconds: 3600,
  streamMaxLen: 10_000,
  maxChunkBytes: MAX_CHUNK_BYTES,
  subscriberBufferSize: 1000,
  keepAliveMs: 15_000,
  retryMs: 3000,
  blockMs: 2000,
  clusterPollMs: 100,
  readCount: 500,
  readerConnections: 1,
  replayPageSize: 500,
  idleCheckMs: 30_000,
  sessionIndexLimit: 20,
  completionLeaseMs: 60_000,
  foreignTaskSweepMs: 1000,
} as const) satisfies Omit<Required<StreamRegistryOptions>, 'redis' | 'url' | 'logger' | 'chunkDialect'>;

/** The default {@link StreamRegistryOptions.chunkDialect} of each key layout. */
export const DEFAULT_CHUNK_DIALECT: Readonly<Record<KeyLayout, ChunkDialect>> = Object.freeze({
  compat: 'original',
  cluster: 'ai-sdk',
});

/**
 * {@link StreamRegistryOptions} after {@link resolveStreamRegistryOptions}: every default of
 * {@link DEFAULT_STREAM_REGISTRY_OPTIONS} applied; the connection is kept apart by the registry.
 */
export type ResolvedStreamRegistryOptions = Omit<
  Required<StreamRegistryOptions>,
  'redis' | 'url' | 'keyLayout' | 'chunkDialect'
> & { keyLayout: KeyLayout; chunkDialect: ChunkDialect };

const POSITIVE_INTEGERS = [
  'ttlSeconds',
  'streamMaxLen',
  'maxChunkBytes',
  'subscriberBufferSize',
  'keepAliveMs',
  'retryMs',
  'blockMs',
  'clusterPollMs',
  'readCount',
  'readerConnections',
  'replayPageSize',
  'idleCheckMs',
  'sessionIndexLimit',
  'completionLeaseMs',
] as const;

/**
 * Applies {@link DEFAULT_STREAM_REGISTRY_OPTIONS} and checks the result, throwing a
 * {@link StreamRegistryOptionsError} that lists every problem at once and names the first offending option.
 */
export function resolveStreamRegistryOptions(options: StreamRegistryOptions): ResolvedStreamRegistryOptions {
  const { redis, url, logger, ...rest } = options;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
  const o = {
    ...DEFAULT_STREAM_REGISTRY_OPTIONS,
    ...defined,
    logger: logger ?? silentLogger,
  } as ResolvedStreamRegistryOptions;
  o.chunkDialect ??= DEFAULT_CHUNK_DIALECT[o.keyLayout] ?? DEFAULT_CHUNK_DIALECT.compat;
  const problems: [option: string, problem: string][] = [];
  if (!redis === !url) problems.push(['redis', 'give exactly one of redis or url']);
  if (o.keyLayout !== 'compat' && o.keyLayout !== 'cluster')
    problems.push(['keyLayout', 'keyLayout is compat or cluster']);
  if (!CHUNK_DIALECTS.includes(o.chunkDialect))
    problems.push(['chunkDialect', 'chunkDialect is original or ai-sdk']);
  if (o.keyLayout === 'cluster' && /[{}]/.test(o.keyPrefix))
    problems.push(['keyPrefix', 'a cluster keyPrefix has no braces']);
  for (const name of POSITIVE_INTEGERS) {
    if (!Number.isInteger(o[name]) || o[name] <= 0)
      problems.push([name, `${name} must be a positive integer`]);
  }
  if (!Number.isInteger(o.foreignTaskSweepMs) || o.foreignTaskSweepMs < 0)
    problems.push(['foreignTaskSweepMs', 'foreignTaskSweepMs must be a non-negative integer']);
  if (problems.length > 0)
    throw new StreamRegistryOptionsError(problems.map(([, problem]) => problem).join('; '), {
      option: problems[0]![0],
    });
  return o;
}

/** The SSE timing a handler call may override; each defaults to the registry's option of the same name. */
export interface SSETimingOptions {
  keepAliveMs?: number;
  retryMs?: number;
}

/**
 * Applies the registry's `keepAliveMs` and `retryMs` (its resolved options are the defaults of one SSE call) and
 * checks the result, throwing a {@link StreamRegistryOptionsError} naming the option.
 */
export function resolveSSETiming(
  options: SSETimingOptions,
  defaults: Pick<ResolvedStreamRegistryOptions, 'keepAliveMs' | 'retryMs'>,
): Required<SSETimingOptions> {
  const timing = {
    keepAliveMs: options.keepAliveMs ?? defaults.keepAliveMs,
    retryMs: options.retryMs ?? defaults.retryMs,
  };
  for (const [name, value] of Object.entries(timing)) {
    if (!Number.isInteger(value) || value <= 0)
      throw new StreamRegistryOptionsError(`${name} must be a positive integer`, { option: name });
  }
  return timing;
}

import {
  DEFAULT_COMPLETION_STREAM,
  MAX_MESSAGE_BYTES,
  PartitionOptionsError,
  partitionStreams,
} from '@chat/completion-schema';
import type { Cluster, Redis } from 'ioredis';
import { PublisherOptionsError } from './errors.js';
import { assertMarkerShareSlot } from './keys.js';

/** How the stream's length is capped on every publish. */
export interface MaxLenOptions {
  /** `approximate` is `MAXLEN ~ count` (cheap, whole macro nodes), `exact` is `MAXLEN = count`, `off` adds no cap. */
  strategy: 'approximate' | 'exact' | 'off';
  /** Entries to keep. */
  count: number;
}

/** Retry-safe publishing: one entry per `operation_id` within a window. */
export interface IdempotencyOptions {
  /** When on, publishing an `operation_id` again within the window adds nothing and returns the first id. */
  enabled: boolean;
  /** How long the first entry's id is remembered, in seconds. */
  windowSeconds: number;
}

/** Durability of each publish beyond the master: Redis `WAIT` for replicas before a publish resolves. */
export interface ReplicaWaitOptions {
  /** Replicas that must have the entry before `publish` resolves; 0 = do not wait (asynchronous replication). */
  replicas: number;
  /** Longest wait for them, in ms; fewer replicas by then → `ReplicationTimeoutError` (retrying is safe). */
  timeoutMs: number;
}

/** What a caller passes to {@link createPublisher}; everything but the connection is optional. */
export interface PublisherOptions {
  /** An ioredis client or cluster the caller owns; the publisher never quits it. Give this or `url`. */
  redis?: Redis | Cluster;
  /** A Redis URL; the publisher opens its own connection and `close()` quits it. Give this or `redis`. */
  url?: string;
  /** Stream to publish to; with `partitions` > 1, the base name of the partition streams. @defaultValue `'chat:completions'` */
  stream?: string;
  /**
   * Number of partition streams; each message goes to `partitionStream(stream, partitionFor(task_id, P), P)`.
   * 1 publishes to `stream` itself, as before. @defaultValue `1`
   */
  partitions?: number;
  /**
   * Length cap applied by every XADD; a safety net against unbounded growth only (the consumer owns safe
   * trimming), so it sits far above any sane backlog: it never deletes entries no one has read.
   * @defaultValue `{ strategy: 'approximate', count: 1000000 }`
   */
  maxLen?: Partial<MaxLenOptions>;
  /**
   * Retry-safe publishing; `true`/`false` toggle it with the default window.
   * @defaultValue `{ enabled: true, windowSeconds: 86400 }`
   */
  idempotency?: Partial<IdempotencyOptions> | boolean;
  /**
   * Wait for replicas after each publish (`WAIT` on the partition's master), so a failover right after cannot lose
   * an acknowledged entry. @defaultValue `{ replicas: 0, timeoutMs: 1000 }` (off)
   */
  waitForReplicas?: Partial<ReplicaWaitOptions>;
  /** Upper bound on one `publish`/`publishMany` call, including waiting for a connection. @defaultValue `5000` */
  timeoutMs?: number;
  /** Size cap of one encoded message in bytes. @defaultValue `1048576` */
  maxMessageBytes?: number;
  /** Add `published_at` (ISO 8601, now) to messages that do not carry one. @defaultValue `true` */
  stampPublishedAt?: boolean;
  /**
   * Add `schema_version` (`SCHEMA_VERSION` of the schema package this publisher was built with, `"MAJOR.MINOR"`)
   * to messages that do not carry one, as the compatibility policy asks of producers. @defaultValue `true`
   */
  stampSchemaVersion?: boolean;
  /**
   * Trace each publish with a `send <stream>` span (kind PRODUCER) and inject its context (`traceparent`,
   * `tracestate`) with the registered propagator into messages that carry no `traceparent`, when the optional peer
   * `@opentelemetry/api` is installed. @defaultValue `true`
   */
  traceContext?: boolean;
}

/** Defaults of every {@link PublisherOptions} option, in one place. */
export const DEFAULT_PUBLISHER_OPTIONS = Object.freeze({
  /** @defaultValue `'chat:completions'` ({@link DEFAULT_COMPLETION_STREAM}), as the Python original. */
  stream: DEFAULT_COMPLETION_STREAM,
  /** @defaultValue `1`: the single stream `stream`, which every existing producer and consumer uses. */
  partitions: 1,
  /**
   * @defaultValue `{ strategy: 'approximate', count: 1000000 }`. Not the original's `MAXLEN 10000`, which deletes
   * unread completions once a backlog passes 10 000 (workers down for a while). Memory is entry size × cap: about
   * 330 bytes for a typical small result, so 1 000 000 entries ≈ 0.3 GB, reached only when no consumer trims.
   */
  maxLen: Object.freeze({ strategy: 'approximate', count: 1_000_000 }),
  /** @defaultValue `{ enabled: true, windowSeconds: 86400 }`: a retry within 24 h never duplicates an entry. */
  idempotency: Object.freeze({ enabled: true, windowSeconds: 86_400 }),
  /** @defaultValue `{ replicas: 0, timeoutMs: 1000 }`: off, as plain Redis replication. */
  waitForReplicas: Object.freeze({ replicas: 0, timeoutMs: 1_000 }),
  /** @defaultValue `5000` ms: long enough for a loaded Redis, short enough that a producer never hangs. */
  timeoutMs: 5_000,
  /** @defaultValue `1048576` ({@link MAX_MESSAGE_BYTES}), the cap the consumer enforces when decoding. */
  maxMessageBytes: MAX_MESSAGE_BYTES,
  /** @defaultValue `true` */
  stampPublishedAt: true,
  /** @defaultValue `true`: readers learn which contract minor a message was written against. */
  stampSchemaVersion: true,
  /** @defaultValue `true`: a no-op unless `@opentelemetry/api` is installed and an SDK or a span is active. */
  traceContext: true,
} as const) satisfies Omit<Required<PublisherOptions>, 'redis' | 'url' | 'idempotency'> & {
  idempotency: IdempotencyOptions;
};

/**
 * {@link PublisherOptions} after {@link resolvePublisherOptions}: every default of
 * {@link DEFAULT_PUBLISHER_OPTIONS} applied, nested options complete, the connection as given.
 */
export interface ResolvedPublisherOptions
  extends Required<Omit<PublisherOptions, 'redis' | 'url' | 'maxLen' | 'idempotency' | 'waitForReplicas'>> {
  redis: Redis | Cluster | undefined;
  url: string | undefined;
  maxLen: MaxLenOptions;
  idempotency: IdempotencyOptions;
  waitForReplicas: ReplicaWaitOptions;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new PublisherOptionsError(`${name} must be a positive integer, got ${String(value)}`, {
      option: name,
    });
  return value;
}

function nonNegativeInteger(name: string, value: number): number {
  return value === 0 ? 0 : positiveInteger(name, value);
}

/**
 * Applies {@link DEFAULT_PUBLISHER_OPTIONS} and rejects options that cannot work, before any connection is made,
 * with a {@link PublisherOptionsError} naming the option.
 */
export function resolvePublisherOptions(options: PublisherOptions): ResolvedPublisherOptions {
  const d = DEFAULT_PUBLISHER_OPTIONS;
  if ((options.redis === undefined) === (options.url === undefined))
    throw new PublisherOptionsError('give exactly one of `redis` (a client you own) or `url`', {
      option: 'redis',
    });
  const stream = options.stream ?? d.stream;
  if (typeof stream !== 'string' || stream.length === 0)
    throw new PublisherOptionsError('stream must be a non-empty string', { option: 'stream' });
  const strategy = options.maxLen?.strategy ?? d.maxLen.strategy;
  if (strategy !== 'approximate' && strategy !== 'exact' && strategy !== 'off')
    throw new PublisherOptionsError(
      `maxLen.strategy must be 'approximate', 'exact' or 'off', got ${strategy}`,
      { option: 'maxLen.strategy' },
    );
  const idem =
    typeof options.idempotency === 'boolean' ? { enabled: options.idempotency } : (options.idempotency ?? {});
  const resolved: ResolvedPublisherOptions = {
    redis: options.redis,
    url: options.url,
    stream,
    partitions: positiveInteger('partitions', options.partitions ?? d.partitions),
    maxLen: { strategy, count: positiveInteger('maxLen.count', options.maxLen?.count ?? d.maxLen.count) },
    idempotency: {
      enabled: idem.enabled ?? d.idempotency.enabled,
      windowSeconds: positiveInteger(
        'idempotency.windowSeconds',
        idem.windowSeconds ?? d.idempotency.windowSeconds,
      ),
    },
    waitForReplicas: {
      replicas: nonNegativeInteger(
        'waitForReplicas.replicas',
        options.waitForReplicas?.replicas ?? d.waitForReplicas.replicas,
      ),
      timeoutMs: positiveInteger(
        'waitForReplicas.timeoutMs',
        options.waitForReplicas?.timeoutMs ?? d.waitForReplicas.timeoutMs,
      ),
    },
    timeoutMs: positiveInteger('timeoutMs', options.timeoutMs ?? d.timeoutMs),
    maxMessageBytes: positiveInteger('maxMessageBytes', options.maxMessageBytes ?? d.maxMessageBytes),
    stampPublishedAt: options.stampPublishedAt ?? d.stampPublishedAt,
    stampSchemaVersion: options.stampSchemaVersion ?? d.stampSchemaVersion,
    traceContext: options.traceContext ?? d.traceContext,
  };
  // The partition streams and, with idempotency on, their markers must be nameable in one slot each.
  for (const partitionStream of streamsOf(resolved)) {
    if (resolved.idempotency.enabled) assertMarkerShareSlot(partitionStream);
  }
  return resolved;
}

/** The streams `options` publish to, in partition order: `[stream]` unless `partitions` > 1. */
export function streamsOf(options: Pick<ResolvedPublisherOptions, 'stream' | 'partitions'>): string[] {
  try {
    return partitionStreams(options.stream, options.partitions);
  } catch (error) {
    if (!PartitionOptionsError.isInstance(error)) throw error;
    throw new PublisherOptionsError(error.message, { option: 'partitions' });
  }
}

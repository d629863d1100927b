import { hostname } from 'node:os';
import {
  DEFAULT_COMPLETION_STREAM,
  DEFAULT_CONSUMER_GROUP,
  deadLetterStreamFor,
  hashTagOf,
  type Logger,
  MAX_MESSAGE_BYTES,
  type OperationCompleteMessage,
  silentLogger,
} from '@chat/completion-schema';
import type { BackoffOptions } from './backoff.js';
import { ConsumerOptionsError } from './errors.js';
import type { RedisClient } from './scripts.js';

/** What a handler receives besides the message. */
export interface HandlerContext {
  /** Stream entry id of the message. */
  entryId: string;
  /** How many times the entry has been delivered, this delivery included (1 on the first). */
  deliveryCount: number;
  /** Aborted when `close()` reaches its deadline; a handler should stop its work then. */
  signal: AbortSignal;
  /** The consumer's logger, bound to this entry. */
  logger: Logger;
  /** Stream the entry came from. */
  stream: string;
}

/**
 * Handles one message. Resolve → the entry is acknowledged (so resolve only after your effects are durable).
 * Throw → retried with backoff; throw `PermanentError` → dead-lettered at once.
 */
export type MessageHandler = (message: OperationCompleteMessage, context: HandlerContext) => Promise<void>;

/** Dead-letter stream settings. */
export interface DeadLetterOptions {
  /** Dead-letter stream key; must share the source stream's hash slot. @defaultValue deadLetterStreamFor(stream) */
  stream?: string;
  /** Approximate length cap of the dead-letter stream (`MAXLEN ~`); 0 = uncapped. @defaultValue 100000 */
  maxLen?: number;
}

/** Options of {@link CompletionConsumer}: what callers pass. */
export interface ConsumerOptions {
  /** A client the caller owns (never quit by the consumer). Either this or `url`. */
  redis?: RedisClient;
  /** A Redis URL; the consumer creates and closes its own client. */
  url?: string;
  /** Stream to consume. @defaultValue DEFAULT_COMPLETION_STREAM (`chat:completions`) */
  stream?: string;
  /** Consumer group. @defaultValue DEFAULT_CONSUMER_GROUP (`chat_consumers`) */
  group?: string;
  /** Consumer name; keep it stable across restarts to resume own pending work at once. @defaultValue `<hostname>-<pid>` */
  consumer?: string;
  /** The message handler. */
  handler: MessageHandler;
  /** Most handlers running at once; reads never fetch more than the free slots. @defaultValue 16 */
  concurrency?: number;
  /** Handler runs before an entry is dead-lettered with `max_deliveries`. @defaultValue 5 */
  maxDeliveries?: number;
  /** Idle time after which another consumer may claim a pending entry, in ms. @defaultValue 60000 */
  claimIdleMs?: number;
  /** How often the claim loop walks the pending list, in ms. @defaultValue 5000 */
  claimIntervalMs?: number;
  /** BLOCK of each XREADGROUP, in ms; capped at 5000. @defaultValue 5000 */
  blockMs?: number;
  /** Retry backoff of failed entries (the effective delay is at most `claimIdleMs`). @defaultValue { baseMs: 1000, maxMs: 30000, jitter: 0.2 } */
  backoff?: Partial<BackoffOptions>;
  /** Backoff between attempts while Redis is unreachable. @defaultValue { baseMs: 100, maxMs: 5000, jitter: 0.3 } */
  reconnectBackoff?: Partial<BackoffOptions>;
  /** How long `close()` waits for running handlers before aborting their signals, in ms. @defaultValue 10000 */
  shutdownTimeoutMs?: number;
  /** Delete other consumers idle this long with no pending entries, in ms; 0 disables. @defaultValue 3600000 */
  consumerTimeoutMs?: number;
  /** Dead-letter stream settings. @defaultValue { stream: deadLetterStreamFor(stream), maxLen: 100000 } */
  deadLetter?: DeadLetterOptions;
  /** Longest an acknowledgement waits to be batched with others, in ms. @defaultValue 2 */
  ackFlushMs?: number;
  /** Optional pino-compatible logger; the consumer never writes to the console. @defaultValue silentLogger */
  logger?: Logger;
  /** Size cap of an entry's `data`; larger entries are dead-lettered as `too_large`. @defaultValue MAX_MESSAGE_BYTES (1 MiB) */
  maxMessageBytes?: number;
}

/** Options after defaults: what the consumer runs with. */
export interface ResolvedConsumerOptions
  extends Required<Omit<ConsumerOptions, 'redis' | 'url' | 'backoff' | 'reconnectBackoff' | 'deadLetter'>> {
  redis: RedisClient | undefined;
  url: string | undefined;
  backoff: BackoffOptions;
  reconnectBackoff: BackoffOptions;
  deadLetter: Required<DeadLetterOptions>;
}

/**
 * Defaults of {@link ConsumerOptions}, defined once. `consumer` and `deadLetter.stream` depend on the host and the
 * stream and are filled in by {@link resolveConsumerOptions}.
 */
export const DEFAULT_CONSUMER_OPTIONS = {
  /** @defaultValue 'chat:completions' */
  stream: DEFAULT_COMPLETION_STREAM,
  /** @defaultValue 'chat_consumers' */
  group: DEFAULT_CONSUMER_GROUP,
  /** @defaultValue 16 */
  concurrency: 16,
  /** @defaultValue 5 */
  maxDeliveries: 5,
  /** @defaultValue 60000 */
  claimIdleMs: 60_000,
  /** @defaultValue 5000 */
  claimIntervalMs: 5_000,
  /** @defaultValue 5000 */
  blockMs: 5_000,
  /** @defaultValue { baseMs: 1000, maxMs: 30000, jitter: 0.2 } */
  backoff: { baseMs: 1_000, maxMs: 30_000, jitter: 0.2 } as BackoffOptions,
  /** Capped at 2 s so a consumer resumes within a few seconds of Redis coming back. @defaultValue { baseMs: 100, maxMs: 2000, jitter: 0.3 } */
  reconnectBackoff: { baseMs: 100, maxMs: 2_000, jitter: 0.3 } as BackoffOptions,
  /** @defaultValue 10000 */
  shutdownTimeoutMs: 10_000,
  /** @defaultValue 3600000 */
  consumerTimeoutMs: 3_600_000,
  /** @defaultValue 100000 */
  deadLetterMaxLen: 100_000,
  /** @defaultValue 2 */
  ackFlushMs: 2,
  /** @defaultValue 1048576 */
  maxMessageBytes: MAX_MESSAGE_BYTES,
} as const;

/** Most BLOCK we allow: a longer one delays close and hides a dead connection from the watchdog for longer. */
export const MAX_BLOCK_MS = 5_000;

/** The part of a key Redis Cluster hashes. */
function slotKey(key: string): string {
  return hashTagOf(key) ?? key;
}

function positive(name: string, value: number, allowZero = false): number {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0))
    throw new ConsumerOptionsError(
      `${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}`,
    );
  return value;
}

/** Applies {@link DEFAULT_CONSUMER_OPTIONS} and validates; throws {@link ConsumerOptionsError}. */
export function resolveConsumerOptions(options: ConsumerOptions): ResolvedConsumerOptions {
  const d = DEFAULT_CONSUMER_OPTIONS;
  if (typeof options.handler !== 'function') throw new ConsumerOptionsError('handler must be a function');
  if (!options.redis && !options.url) throw new ConsumerOptionsError('pass either redis (a client) or url');
  const stream = options.stream ?? d.stream;
  const deadLetterStream = options.deadLetter?.stream ?? deadLetterStreamFor(stream);
  if (slotKey(deadLetterStream) !== slotKey(stream))
    throw new ConsumerOptionsError(
      `dead-letter stream ${deadLetterStream} must share the hash slot of ${stream}; use deadLetterStreamFor()`,
    );
  const claimIdleMs = positive('claimIdleMs', options.claimIdleMs ?? d.claimIdleMs);
  const backoff = { ...d.backoff, ...options.backoff };
  return {
    redis: options.redis,
    url: options.url,
    stream,
    group: options.group ?? d.group,
    consumer: options.consumer ?? `${hostname()}-${process.pid}`,
    handler: options.handler,
    concurrency: Math.floor(positive('concurrency', options.concurrency ?? d.concurrency)),
    maxDeliveries: Math.floor(positive('maxDeliveries', options.maxDeliveries ?? d.maxDeliveries)),
    claimIdleMs,
    claimIntervalMs: positive('claimIntervalMs', options.claimIntervalMs ?? d.claimIntervalMs),
    blockMs: Math.min(MAX_BLOCK_MS, positive('blockMs', options.blockMs ?? d.blockMs)),
    backoff: {
      baseMs: positive('backoff.baseMs', backoff.baseMs, true),
      maxMs: positive('backoff.maxMs', backoff.maxMs, true),
      jitter: positive('backoff.jitter', backoff.jitter, true),
    },
    reconnectBackoff: { ...d.reconnectBackoff, ...options.reconnectBackoff },
    shutdownTimeoutMs: positive('shutdownTimeoutMs', options.shutdownTimeoutMs ?? d.shutdownTimeoutMs, true),
    consumerTimeoutMs: positive('consumerTimeoutMs', options.consumerTimeoutMs ?? d.consumerTimeoutMs, true),
    deadLetter: {
      stream: deadLetterStream,
      maxLen: positive('deadLetter.maxLen', options.deadLetter?.maxLen ?? d.deadLetterMaxLen, true),
    },
    ackFlushMs: positive('ackFlushMs', options.ackFlushMs ?? d.ackFlushMs, true),
    logger: options.logger ?? silentLogger,
    maxMessageBytes: positive('maxMessageBytes', options.maxMessageBytes ?? d.maxMessageBytes),
  };
}

import { hostname } from 'node:os';
import {
  DEFAULT_COMPLETION_STREAM,
  DEFAULT_CONSUMER_GROUP,
  deadLetterStreamFor,
  type Logger,
  MAX_MESSAGE_BYTES,
  type OperationCompleteMessage,
} from '@chat/completion-schema';
import { hashTagOf, silentLogger } from '@chat/completion-schema/internal';
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
  /** Approximate length cap of the dead-letter stream (`MAXLEN ~`), a whole number; 0 = uncapped. @defaultValue 100000 */
  maxLen?: number;
}

/** Options of {@link CompletionConsumer}: what callers pass. */
export interface ConsumerOptions {
  /** A client the caller owns (never quit by the consumer). Either this or `url`. */
  redis?: RedisClient;
  /** A Redis URL; the consumer creates and closes its own client. */
  url?: string;
  /** Stream to consume. @defaultValue 'chat:completions' (DEFAULT_COMPLETION_STREAM) */
  stream?: string;
  /** Consumer group. @defaultValue 'chat_consumers' (DEFAULT_CONSUMER_GROUP) */
  group?: string;
  /** Consumer name; keep it stable across restarts to resume own pending work at once. @defaultValue `<hostname>-<pid>` */
  consumer?: string;
  /** The message handler. */
  handler: MessageHandler;
  /** Most handlers running at once (a whole number ≥ 1); reads never fetch more than the free slots plus `prefetch`. @defaultValue 16 */
  concurrency?: number;
  /**
   * Entries read ahead of the free handler slots, a whole number ≥ 0 (0 reads only what the free slots take).
   * They are this consumer's once read (pending under its name, their leases renewed like running handlers'),
   * wait in a local queue in stream order and start as slots free; `concurrency` still bounds the handlers. A
   * read is issued when the queue is down to half of it, so a low concurrency does not pay one `XREADGROUP` per
   * message. @defaultValue 32
   */
  prefetch?: number;
  /** Handler runs before an entry is dead-lettered with `max_deliveries` (a whole number ≥ 1). @defaultValue 5 */
  maxDeliveries?: number;
  /** Idle time after which another consumer may claim a pending entry, in whole ms ≥ 1. @defaultValue 60000 */
  claimIdleMs?: number;
  /** How often the claim loop walks the pending list, in whole ms ≥ 1. @defaultValue 5000 */
  claimIntervalMs?: number;
  /** BLOCK of each XREADGROUP, in whole ms ≥ 1 (0 would block forever); capped at 5000. @defaultValue 5000 */
  blockMs?: number;
  /**
   * Retry backoff of failed entries (the effective delay is at most `claimIdleMs`); `baseMs <= maxMs`, 0 retries
   * at once. @defaultValue { baseMs: 1000, maxMs: 30000, jitter: 0.2 }
   */
  backoff?: Partial<BackoffOptions>;
  /**
   * Backoff between attempts while Redis is unreachable; capped low so the consumer is back within seconds of
   * Redis returning. `baseMs` and `maxMs` at least 1 (0 would retry in a tight loop), `baseMs <= maxMs`.
   * @defaultValue { baseMs: 100, maxMs: 2000, jitter: 0.3 }
   */
  reconnectBackoff?: Partial<BackoffOptions>;
  /** How long `close()` waits for running handlers before aborting their signals, in whole ms ≥ 0. @defaultValue 10000 */
  shutdownTimeoutMs?: number;
  /** Delete other consumers idle this long with no pending entries, in whole ms; 0 disables. @defaultValue 3600000 */
  consumerTimeoutMs?: number;
  /** Dead-letter stream settings. @defaultValue { stream: deadLetterStreamFor(stream), maxLen: 100000 } */
  deadLetter?: DeadLetterOptions;
  /** Longest an acknowledgement waits to be batched with others, in whole ms ≥ 0. @defaultValue 2 */
  ackFlushMs?: number;
  /** Optional pino-compatible logger; the consumer never writes to the console. @defaultValue silentLogger */
  logger?: Logger;
  /** Size cap of an entry's `data`, in bytes; larger entries are dead-lettered as `too_large`. @defaultValue 1048576 (MAX_MESSAGE_BYTES, 1 MiB) */
  maxMessageBytes?: number;
  /**
   * How a delivery's `process <stream>` span relates to the producer's span carried in the message (`traceparent`,
   * `tracestate`): `link` (the OpenTelemetry messaging conventions' default: a new trace per delivery, linked to the
   * producer's) or `parent` (the delivery joins the producer's trace as its child). Only used while an OpenTelemetry
   * SDK is registered. @defaultValue 'link'
   */
  producerTrace?: 'link' | 'parent';
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
export const DEFAULT_CONSUMER_OPTIONS = Object.freeze({
  /** @defaultValue 'chat:completions' */
  stream: DEFAULT_COMPLETION_STREAM,
  /** @defaultValue 'chat_consumers' */
  group: DEFAULT_CONSUMER_GROUP,
  /** @defaultValue 16 */
  concurrency: 16,
  /** @defaultValue 32 */
  prefetch: 32,
  /** @defaultValue 5 */
  maxDeliveries: 5,
  /** @defaultValue 60000 */
  claimIdleMs: 60_000,
  /** @defaultValue 5000 */
  claimIntervalMs: 5_000,
  /** @defaultValue 5000 */
  blockMs: 5_000,
  /** @defaultValue { baseMs: 1000, maxMs: 30000, jitter: 0.2 } */
  backoff: Object.freeze({ baseMs: 1_000, maxMs: 30_000, jitter: 0.2 }) as Readonly<BackoffOptions>,
  /** Capped at 2 s so a consumer resumes within a few seconds of Redis coming back. @defaultValue { baseMs: 100, maxMs: 2000, jitter: 0.3 } */
  reconnectBackoff: Object.freeze({ baseMs: 100, maxMs: 2_000, jitter: 0.3 }) as Readonly<BackoffOptions>,
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
  /** @defaultValue 'link' */
  producerTrace: 'link',
} as const);

/** Most BLOCK we allow: a longer one delays close and hides a dead connection from the watchdog for longer. */
export const MAX_BLOCK_MS = 5_000;

/**
 * Longest delay a Node.js timer honours (2^31 - 1 ms). A longer one fires after 1 ms instead, which would turn
 * a period into a busy loop, so every option that ends up in a timer is bounded by it.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** The part of a key Redis Cluster hashes. */
function slotKey(key: string): string {
  return hashTagOf(key) ?? key;
}

/** An allowed range of a numeric option. */
interface Range {
  min: number;
  max: number;
  /** Whole numbers only: the value is used where a fraction would be floored or rejected by Redis. */
  integer: boolean;
  unit?: string;
}

function rangeText({ min, max, integer, unit }: Range): string {
  const kind = integer ? 'an integer' : 'a number';
  const bounds = max >= Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
  return `${kind} ${bounds}${unit ? ` (${unit})` : ''}`;
}

function inRange(name: string, value: unknown, range: Range): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= range.min &&
    value <= range.max &&
    (!range.integer || Number.isInteger(value));
  if (!ok)
    throw new ConsumerOptionsError(`${name} must be ${rangeText(range)}, got ${describe(value)}`, {
      option: name,
    });
  return value as number;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** A count: a whole number of at least `min`. */
function count(name: string, value: unknown, min: number): number {
  return inRange(name, value, { min, max: Number.MAX_SAFE_INTEGER, integer: true });
}

/** A duration used in timers: whole milliseconds from `min` to {@link MAX_TIMER_MS}. */
function duration(name: string, value: unknown, min: number): number {
  return inRange(name, value, { min, max: MAX_TIMER_MS, integer: true, unit: 'ms' });
}

/**
 * A backoff: `minDelayMs` is the least `baseMs` and `maxMs` may be (1 where a delay of 0 would retry in a tight
 * loop), `baseMs <= maxMs`, `jitter` in [0, 1].
 */
function backoffOptions(name: string, value: Partial<BackoffOptions>, minDelayMs: number): BackoffOptions {
  const baseMs = duration(`${name}.baseMs`, value.baseMs, minDelayMs);
  const maxMs = duration(`${name}.maxMs`, value.maxMs, minDelayMs);
  if (baseMs > maxMs)
    throw new ConsumerOptionsError(`${name}.baseMs (${baseMs}) must not exceed ${name}.maxMs (${maxMs})`, {
      option: `${name}.baseMs`,
    });
  const jitter = inRange(`${name}.jitter`, value.jitter, { min: 0, max: 1, integer: false });
  return { baseMs, maxMs, jitter };
}

function oneOf<T extends string>(option: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T))
    throw new ConsumerOptionsError(
      `${option} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${describe(value)}`,
      { option },
    );
  return value as T;
}

function nonEmpty(option: string, value: unknown): string {
  if (typeof value !== 'string' || value === '')
    throw new ConsumerOptionsError(`${option} must be a non-empty string, got ${describe(value)}`, {
      option,
    });
  return value;
}

/**
 * Applies {@link DEFAULT_CONSUMER_OPTIONS} and validates every option in one place, so a bad value fails at
 * construction with a {@link ConsumerOptionsError} naming the option and its allowed range, instead of a
 * consumer that reads nothing (`concurrency: 0.5`) or retries in a tight loop (`reconnectBackoff.maxMs: 0`).
 */
export function resolveConsumerOptions(options: ConsumerOptions): ResolvedConsumerOptions {
  const d = DEFAULT_CONSUMER_OPTIONS;
  if (typeof options.handler !== 'function')
    throw new ConsumerOptionsError('handler must be a function', { option: 'handler' });
  if (!options.redis && !options.url)
    throw new ConsumerOptionsError('pass either redis (a client) or url', { option: 'redis' });
  const stream = nonEmpty('stream', options.stream ?? d.stream);
  const deadLetterStream = nonEmpty(
    'deadLetter.stream',
    options.deadLetter?.stream ?? deadLetterStreamFor(stream),
  );
  if (slotKey(deadLetterStream) !== slotKey(stream))
    throw new ConsumerOptionsError(
      `dead-letter stream ${deadLetterStream} must share the hash slot of ${stream}; use deadLetterStreamFor()`,
      { option: 'deadLetter.stream' },
    );
  return {
    redis: options.redis,
    url: options.url,
    stream,
    group: nonEmpty('group', options.group ?? d.group),
    consumer: nonEmpty('consumer', options.consumer ?? `${hostname()}-${process.pid}`),
    handler: options.handler,
    concurrency: count('concurrency', options.concurrency ?? d.concurrency, 1),
    prefetch: count('prefetch', options.prefetch ?? d.prefetch, 0),
    maxDeliveries: count('maxDeliveries', options.maxDeliveries ?? d.maxDeliveries, 1),
    claimIdleMs: duration('claimIdleMs', options.claimIdleMs ?? d.claimIdleMs, 1),
    claimIntervalMs: duration('claimIntervalMs', options.claimIntervalMs ?? d.claimIntervalMs, 1),
    // BLOCK 0 would block forever; above MAX_BLOCK_MS is capped, as documented.
    blockMs: Math.min(MAX_BLOCK_MS, duration('blockMs', options.blockMs ?? d.blockMs, 1)),
    // 0 is allowed here: a retry at once, still bounded by maxDeliveries.
    backoff: backoffOptions('backoff', { ...d.backoff, ...options.backoff }, 0),
    // Not 0: while Redis is down that would retry reads and acks in a tight loop.
    reconnectBackoff: backoffOptions(
      'reconnectBackoff',
      { ...d.reconnectBackoff, ...options.reconnectBackoff },
      1,
    ),
    shutdownTimeoutMs: duration('shutdownTimeoutMs', options.shutdownTimeoutMs ?? d.shutdownTimeoutMs, 0),
    consumerTimeoutMs: count('consumerTimeoutMs', options.consumerTimeoutMs ?? d.consumerTimeoutMs, 0),
    deadLetter: {
      stream: deadLetterStream,
      maxLen: count('deadLetter.maxLen', options.deadLetter?.maxLen ?? d.deadLetterMaxLen, 0),
    },
    ackFlushMs: duration('ackFlushMs', options.ackFlushMs ?? d.ackFlushMs, 0),
    logger: options.logger ?? silentLogger,
    maxMessageBytes: count('maxMessageBytes', options.maxMessageBytes ?? d.maxMessageBytes, 1),
    producerTrace: oneOf('producerTrace', options.producerTrace ?? d.producerTrace, ['link', 'parent']),
  };
}

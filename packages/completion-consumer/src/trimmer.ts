import type { Logger } from '@chat/completion-schema';
import { silentLogger } from '@chat/completion-schema/internal';
import { ConsumerOptionsError } from './errors.js';
import { MAX_TIMER_MS } from './options.js';
import { type RedisClient, runScript } from './scripts.js';

/** The result of one safe trim. */
export interface TrimResult {
  /** The MINID threshold used, or null when nothing could be trimmed (no stream, no group, nothing acked). */
  threshold: string | null;
  /** Entries removed. */
  removed: number;
  /** Whether the Redis 8.2 `ACKED` option was added. */
  acked: boolean;
}

/** Options of {@link trimStreamSafely}. */
export interface SafeTrimOptions {
  /** Keep acknowledged entries younger than this, in ms (for inspection or replay); 0 keeps none. @defaultValue 0 */
  retainMs?: number;
  /** Use the `ACKED` option; detected from the server version when undefined. @defaultValue detected */
  useAckedOption?: boolean | undefined;
}

/** Parses `redis_version` from INFO into [major, minor, patch]. */
export async function redisVersion(redis: RedisClient): Promise<[number, number, number]> {
  const info = await redis.info('server');
  const match = /redis_version:(\d+)\.(\d+)\.(\d+)/.exec(info);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
}

/** True when the server understands `XTRIM ... ACKED` (Redis 8.2 and later). */
export function supportsAckedTrim([major, minor]: readonly number[]): boolean {
  return (major ?? 0) > 8 || ((major ?? 0) === 8 && (minor ?? 0) >= 2);
}

/**
 * XTRIMs `stream` with MINID at the oldest entry any group still needs (each group's oldest pending id and its
 * last-delivered id), computed and applied in one script: unlike MAXLEN, it never removes unprocessed work.
 */
export async function trimStreamSafely(
  redis: RedisClient,
  stream: string,
  options: SafeTrimOptions = {},
): Promise<TrimResult> {
  const { retainMs, useAckedOption } = resolveSafeTrimOptions(options);
  const acked = useAckedOption ?? supportsAckedTrim(await redisVersion(redis));
  const bound = retainMs > 0 ? `${Math.max(0, Date.now() - retainMs)}-0` : '';
  const [threshold, removed] = (await runScript(
    redis,
    'safe-trim-1',
    [stream],
    [acked ? '1' : '0', bound],
  )) as [string | null, number];
  return { threshold: threshold || null, removed: Number(removed), acked };
}

/** Options of {@link StreamTrimmer}. */
export interface StreamTrimmerOptions extends SafeTrimOptions {
  redis: RedisClient;
  stream: string;
  /** How often to trim, in whole ms from 1 to {@link MAX_TIMER_MS}. @defaultValue 60000 */
  intervalMs?: number;
  /** Where trims and failed trims are logged. @defaultValue silentLogger */
  logger?: Logger;
}

/** Defaults of {@link StreamTrimmerOptions} (and of {@link SafeTrimOptions}). */
export const DEFAULT_TRIMMER_OPTIONS = Object.freeze({
  /** @defaultValue 60000 */
  intervalMs: 60_000,
  /** @defaultValue 0 */
  retainMs: 0,
} as const);

/** {@link StreamTrimmerOptions} after {@link resolveStreamTrimmerOptions}; `useAckedOption` undefined = detect. */
export interface ResolvedStreamTrimmerOptions extends Required<Omit<StreamTrimmerOptions, 'useAckedOption'>> {
  useAckedOption: boolean | undefined;
}

function wholeMs(option: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_TIMER_MS)
    throw new ConsumerOptionsError(
      `${option} must be an integer from ${min} to ${MAX_TIMER_MS} (ms), got ${String(value)}`,
      { option },
    );
  return value;
}

/** The {@link SafeTrimOptions} part of {@link resolveStreamTrimmerOptions}, for {@link trimStreamSafely}. */
function resolveSafeTrimOptions(
  options: SafeTrimOptions,
): Pick<ResolvedStreamTrimmerOptions, 'retainMs' | 'useAckedOption'> {
  return {
    retainMs: wholeMs('retainMs', options.retainMs ?? DEFAULT_TRIMMER_OPTIONS.retainMs, 0),
    useAckedOption: options.useAckedOption,
  };
}

/**
 * Applies {@link DEFAULT_TRIMMER_OPTIONS} and validates, throwing a {@link ConsumerOptionsError} naming the
 * option (an `intervalMs` of 0 would trim in a busy loop).
 */
export function resolveStreamTrimmerOptions(options: StreamTrimmerOptions): ResolvedStreamTrimmerOptions {
  if (typeof options.stream !== 'string' || options.stream === '')
    throw new ConsumerOptionsError('stream must be a non-empty string', { option: 'stream' });
  return {
    redis: options.redis,
    stream: options.stream,
    intervalMs: wholeMs('intervalMs', options.intervalMs ?? DEFAULT_TRIMMER_OPTIONS.intervalMs, 1),
    ...resolveSafeTrimOptions(options),
    logger: options.logger ?? silentLogger,
  };
}

/**
 * Runs {@link trimStreamSafely} every `intervalMs`, as a retention policy that replaces producer-side MAXLEN
 * (which can delete entries no one processed). Errors are logged and retried on the next tick.
 */
export class StreamTrimmer {
  private timer: NodeJS.Timeout | undefined;
  private version: [number, number, number] | undefined;
  private running: Promise<TrimResult | undefined> | undefined;
  private readonly options: ResolvedStreamTrimmerOptions;

  /** Throws a {@link ConsumerOptionsError} for options that cannot work. */
  constructor(options: StreamTrimmerOptions) {
    this.options = resolveStreamTrimmerOptions(options);
  }

  /** Starts trimming periodically (the first trim happens after one interval). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.trimNow(), this.options.intervalMs);
    this.timer.unref?.();
  }

  /** Trims once now; resolves undefined on error (logged). */
  trimNow(): Promise<TrimResult | undefined> {
    this.running ??= (async () => {
      const { logger } = this.options;
      try {
        this.version ??= await redisVersion(this.options.redis);
        const result = await trimStreamSafely(this.options.redis, this.options.stream, {
          retainMs: this.options.retainMs,
          useAckedOption: this.options.useAckedOption ?? supportsAckedTrim(this.version),
        });
        if (result.removed)
          logger.info({ stream: this.options.stream, ...result }, 'trimmed processed entries');
        return result;
      } catch (error) {
        logger.error({ stream: this.options.stream, err: error }, 'safe trim failed');
        return undefined;
      }
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Stops the timer; waits for a running trim. Idempotent. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}

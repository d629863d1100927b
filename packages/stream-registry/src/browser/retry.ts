import { TaskStreamError } from './errors.js';

/** How a browser task stream retries a lost connection. */
export interface TaskStreamRetryOptions {
  /**
   * Failed attempts in a row before giving up with `retries_exhausted`; an attempt that receives a new event
   * resets the count. @defaultValue 10
   */
  maxRetries?: number;
  /** Delay cap of the first retry, in ms. @defaultValue 250 */
  initialDelayMs?: number;
  /** Largest delay between two attempts, in ms. @defaultValue 5000 */
  maxDelayMs?: number;
  /** Growth of the delay cap per failed attempt. @defaultValue 2 */
  factor?: number;
}

/** The defaults of {@link TaskStreamRetryOptions}. */
export const DEFAULT_TASK_STREAM_RETRY_OPTIONS = Object.freeze({
  maxRetries: 10,
  initialDelayMs: 250,
  maxDelayMs: 5000,
  factor: 2,
});

/** Retry options after defaults. */
export type ResolvedTaskStreamRetryOptions = Required<TaskStreamRetryOptions>;

/** Applies the defaults and checks the values. */
export function resolveTaskStreamRetryOptions(
  options: TaskStreamRetryOptions = {},
): ResolvedTaskStreamRetryOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const o: ResolvedTaskStreamRetryOptions = { ...DEFAULT_TASK_STREAM_RETRY_OPTIONS, ...defined };
  const problems: string[] = [];
  if (!Number.isInteger(o.maxRetries) || o.maxRetries < 0) problems.push('maxRetries >= 0');
  if (!(o.initialDelayMs >= 0)) problems.push('initialDelayMs >= 0');
  if (!(o.maxDelayMs >= o.initialDelayMs)) problems.push('maxDelayMs >= initialDelayMs');
  if (!(o.factor >= 1)) problems.push('factor >= 1');
  if (problems.length > 0)
    throw new TaskStreamError('invalid_options', `invalid retry options: ${problems.join(', ')}`);
  return Object.freeze(o);
}

/**
 * Delay before retry number `attempt` (1-based): "full jitter", uniform in [0, min(max, initial·factor^(n-1))],
 * so many browsers cut off by one restart do not come back in lockstep.
 */
export function retryDelay(
  options: ResolvedTaskStreamRetryOptions,
  attempt: number,
  random: () => number = Math.random,
): number {
  const cap = Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** (attempt - 1));
  return Math.round(random() * cap);
}

/** Waits `ms`, or rejects with the signal's reason when it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

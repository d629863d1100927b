/** Capped exponential backoff with jitter. */
export interface BackoffOptions {
  /** Delay after the first failure, in ms. @defaultValue 1000 (`backoff`), 100 (`reconnectBackoff`) */
  baseMs: number;
  /** Upper bound of the delay, in ms. @defaultValue 30000 (`backoff`), 2000 (`reconnectBackoff`) */
  maxMs: number;
  /**
   * Relative jitter in [0, 1]: the delay is scaled by a random factor in [1 - jitter, 1 + jitter].
   * @defaultValue 0.2 (`backoff`), 0.3 (`reconnectBackoff`)
   */
  jitter: number;
}

/**
 * Delay before attempt `attempt + 1` after `attempt` failures: `min(maxMs, baseMs · 2^(attempt-1))`, then
 * jittered (and capped again) so that many consumers failing together do not retry in lockstep.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random) {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  const raw = Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  const jitter = Math.max(0, Math.min(1, options.jitter));
  const factor = 1 - jitter + 2 * jitter * random();
  return Math.max(0, Math.min(options.maxMs, Math.round(raw * factor)));
}

import { PublishTimeoutError } from './errors.js';

/**
 * Settles with `work`, or rejects with {@link PublishTimeoutError} after `timeoutMs`. A caller-owned client may
 * queue commands offline and retry for a long time; this bound is what keeps a producer from hanging.
 */
export function withDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PublishTimeoutError(timeoutMs)), timeoutMs);
    timer.unref?.();
  });
  // `work` may still reject after the deadline won; that late rejection is expected, not unhandled.
  work.catch(() => {});
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

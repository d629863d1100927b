import { createHmac } from 'node:crypto';
import type { Logger } from '@chat/completion-schema';
import { WorkerOptionsError } from './errors.js';

/** Options of the outbound webhook. */
export interface WebhookOptions {
  /** Where deliveries are POSTed (`http:` or `https:`). */
  url: string;
  /** HMAC-SHA256 key; the receiver verifies `x-chat-signature` with it. */
  secret: string;
  /** Attempts per delivery, a whole number ≥ 1. @defaultValue 5 */
  maxAttempts?: number;
  /** Per-attempt timeout, in whole ms ≥ 1. @defaultValue 5000 */
  timeoutMs?: number;
  /** First retry delay, doubled each attempt, in whole ms ≥ 0. @defaultValue 500 */
  retryBaseMs?: number;
}

/** {@link WebhookOptions} after defaults. */
export type ResolvedWebhookOptions = Required<WebhookOptions>;

/** Defaults of the optional {@link WebhookOptions}. */
export const DEFAULT_WEBHOOK_OPTIONS = Object.freeze({
  /** @defaultValue 5 */
  maxAttempts: 5,
  /** @defaultValue 5000 */
  timeoutMs: 5000,
  /** @defaultValue 500 */
  retryBaseMs: 500,
}) satisfies Omit<ResolvedWebhookOptions, 'url' | 'secret'>;

/** Options of {@link WebhookNotifier.close}. */
export interface WebhookCloseOptions {
  /**
   * How long to let deliveries under way (retries included) finish; then they are aborted and logged as dropped.
   * The worker passes what is left of its shutdown deadline. @defaultValue 10000
   */
  timeoutMs?: number;
}

/** {@link WebhookCloseOptions} after defaults. */
export type ResolvedWebhookCloseOptions = Required<WebhookCloseOptions>;

/** Defaults of {@link WebhookCloseOptions}. */
export const DEFAULT_WEBHOOK_CLOSE_OPTIONS = Object.freeze({
  /** @defaultValue 10000 */
  timeoutMs: 10_000,
}) satisfies ResolvedWebhookCloseOptions;

/** A whole number of at least `min` (a count, or milliseconds for a timer). */
function wholeNumber(option: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    throw new WorkerOptionsError(`${option} must be an integer >= ${min}, got ${String(value)}`, { option });
  return value;
}

/**
 * Applies {@link DEFAULT_WEBHOOK_OPTIONS} and validates, so a bad value fails at construction with a
 * {@link WorkerOptionsError} naming the option instead of a notifier that never sends (`maxAttempts: 0`).
 */
export function resolveWebhookOptions(options: WebhookOptions): ResolvedWebhookOptions {
  const d = DEFAULT_WEBHOOK_OPTIONS;
  if (typeof options.url !== 'string' || !/^https?:\/\//.test(options.url))
    throw new WorkerOptionsError('url must be an http:// or https:// URL', { option: 'url' });
  if (typeof options.secret !== 'string' || options.secret === '')
    throw new WorkerOptionsError('secret must be a non-empty string', { option: 'secret' });
  return {
    url: options.url,
    secret: options.secret,
    maxAttempts: wholeNumber('maxAttempts', options.maxAttempts ?? d.maxAttempts, 1),
    timeoutMs: wholeNumber('timeoutMs', options.timeoutMs ?? d.timeoutMs, 1),
    retryBaseMs: wholeNumber('retryBaseMs', options.retryBaseMs ?? d.retryBaseMs, 0),
  };
}

/** Applies {@link DEFAULT_WEBHOOK_CLOSE_OPTIONS}; `timeoutMs` must be a whole number of ms ≥ 0. */
export function resolveWebhookCloseOptions(options: WebhookCloseOptions): ResolvedWebhookCloseOptions {
  return {
    timeoutMs: wholeNumber('timeoutMs', options.timeoutMs ?? DEFAULT_WEBHOOK_CLOSE_OPTIONS.timeoutMs, 0),
  };
}

/**
 * Signature header value for `body` at unix time `timestamp`: `t=<timestamp>,v1=<hex HMAC-SHA256 of "t.body">`.
 * Signing the timestamp with the body lets a receiver reject replays of an old delivery.
 */
export function signWebhook(secret: string, body: string, timestamp: number): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/** Sends completed tasks to a URL, best effort with retries; the task state in Redis stays the source of truth. */
export class WebhookNotifier {
  private readonly options: ResolvedWebhookOptions;
  /** Deliveries under way, with the task each one reports (for the log when they are dropped). */
  private readonly pending = new Map<Promise<void>, unknown>();
  /** Aborted when `close()` runs out of time: in-flight requests and retry delays end at once. */
  private readonly stop = new AbortController();
  private closing: Promise<void> | undefined;

  constructor(
    options: WebhookOptions,
    private readonly logger: Logger,
  ) {
    this.options = resolveWebhookOptions(options);
  }

  /** Queues one delivery; never throws and never delays the caller. */
  notify(payload: Record<string, unknown>): void {
    if (this.closing) return;
    const delivery = this.deliver(JSON.stringify(payload)).finally(() => this.pending.delete(delivery));
    this.pending.set(delivery, payload.task_id);
  }

  private async deliver(body: string): Promise<void> {
    const { url, secret, maxAttempts, timeoutMs, retryBaseMs } = this.options;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (this.stop.signal.aborted) return;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-chat-signature': signWebhook(secret, body, Math.floor(Date.now() / 1000)),
          },
          body,
          signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.stop.signal]),
        });
        // An unread body keeps its connection busy until garbage collection: read it (nothing we need is in it),
        // so the connection goes back to the pool for the next delivery.
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) return;
        // 4xx other than 408/429 will not get better by retrying.
        if (response.status < 500 && response.status !== 408 && response.status !== 429) {
          this.logger.warn({ status: response.status }, 'webhook rejected the delivery; not retrying');
          return;
        }
        this.logger.warn({ status: response.status, attempt }, 'webhook delivery failed');
      } catch (error) {
        if (this.stop.signal.aborted) return;
        this.logger.warn({ err: error, attempt }, 'webhook delivery failed');
      }
      if (attempt < maxAttempts) await this.pause(retryBaseMs * 2 ** (attempt - 1));
    }
    if (!this.stop.signal.aborted)
      this.logger.error({ url: this.options.url }, 'webhook delivery gave up after all attempts');
  }

  /** Waits `ms`, or less when `close()` aborts. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.stop.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.stop.signal.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * Stops accepting deliveries and lets those under way finish for up to `timeoutMs`; what is still unsent then is
   * aborted and logged (`webhook deliveries dropped at shutdown`, with their task ids). Idempotent.
   */
  close(options: WebhookCloseOptions = {}): Promise<void> {
    const { timeoutMs } = resolveWebhookCloseOptions(options);
    this.closing ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const all = Promise.allSettled([...this.pending.keys()]).then(() => true);
      const inTime = await Promise.race([
        all,
        new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), timeoutMs);
        }),
      ]).finally(() => clearTimeout(timer));
      if (inTime) return;
      const dropped = [...this.pending.values()];
      this.stop.abort();
      await all;
      this.logger.error(
        { dropped: dropped.length, taskIds: dropped, timeoutMs },
        'webhook deliveries dropped at shutdown',
      );
    })();
    return this.closing;
  }
}

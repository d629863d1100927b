import { createHmac } from 'node:crypto';
import type { Logger } from '@chat/completion-schema';

/** Options of the outbound webhook. */
export interface WebhookOptions {
  url: string;
  /** HMAC-SHA256 key; the receiver verifies `x-chat-signature` with it. */
  secret: string;
  /** @defaultValue 5 */
  maxAttempts?: number;
  /** Per-attempt timeout. @defaultValue 5000 */
  timeoutMs?: number;
  /** First retry delay, doubled each attempt. @defaultValue 500 */
  retryBaseMs?: number;
}

/** {@link WebhookOptions} after defaults. */
export type ResolvedWebhookOptions = Required<WebhookOptions>;

/** Defaults of the optional {@link WebhookOptions}. */
export const DEFAULT_WEBHOOK_OPTIONS = Object.freeze({
  maxAttempts: 5,
  timeoutMs: 5000,
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

/** {@link WebhookOptions} with every default applied. */
export function resolveWebhookOptions(options: WebhookOptions): ResolvedWebhookOptions {
  return {
    url: options.url,
    secret: options.secret,
    maxAttempts: options.maxAttempts ?? DEFAULT_WEBHOOK_OPTIONS.maxAttempts,
    timeoutMs: options.timeoutMs ?? DEFAULT_WEBHOOK_OPTIONS.timeoutMs,
    retryBaseMs: options.retryBaseMs ?? DEFAULT_WEBHOOK_OPTIONS.retryBaseMs,
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
        this.logger.warn({ err: (error as Error).message, attempt }, 'webhook delivery failed');
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
    this.closing ??= (async () => {
      const timeoutMs = options.timeoutMs ?? 10_000;
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

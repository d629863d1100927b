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
  private readonly pending = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly options: WebhookOptions,
    private readonly logger: Logger,
  ) {}

  /** Queues one delivery; never throws and never delays the caller. */
  notify(payload: Record<string, unknown>): void {
    if (this.closed) return;
    const delivery = this.deliver(JSON.stringify(payload)).finally(() => this.pending.delete(delivery));
    this.pending.add(delivery);
  }

  private async deliver(body: string): Promise<void> {
    const attempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const response = await fetch(this.options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-chat-signature': signWebhook(this.options.secret, body, Math.floor(Date.now() / 1000)),
          },
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
        });
        if (response.ok) return;
        // 4xx other than 408/429 will not get better by retrying.
        if (response.status < 500 && response.status !== 408 && response.status !== 429) {
          this.logger.warn({ status: response.status }, 'webhook rejected the delivery; not retrying');
          return;
        }
        this.logger.warn({ status: response.status, attempt }, 'webhook delivery failed');
      } catch (error) {
        this.logger.warn({ err: (error as Error).message, attempt }, 'webhook delivery failed');
      }
      if (attempt < attempts) {
        await new Promise((r) => setTimeout(r, (this.options.retryBaseMs ?? 500) * 2 ** (attempt - 1)));
      }
    }
    this.logger.error({ url: this.options.url }, 'webhook delivery gave up after all attempts');
  }

  /** Stops accepting deliveries and waits for those under way. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.pending]);
  }
}

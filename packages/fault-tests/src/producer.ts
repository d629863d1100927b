import { type CompletionPublisher, createPublisher } from '@chat/completion-publisher';
import { Redis } from 'ioredis';
import type { ExpectedCompletion, MalformedEntry } from './workload.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The Agent Generator's side of a fault run: publishes completions in paced batches with the real publisher
 * (idempotent per operation_id, so a batch retried after a Redis restart adds nothing twice), and can be paused
 * around a Redis restart and resumed on a fresh connection.
 */
export class PacedProducer {
  published = 0;
  private client: Redis;
  private publisher: CompletionPublisher;
  private gate: Promise<void> = Promise.resolve();
  private openGate: () => void = () => {};
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly url: string,
    private readonly stream: string,
  ) {
    [this.client, this.publisher] = this.connect();
  }

  private connect(): [Redis, CompletionPublisher] {
    const client = new Redis(this.url, { maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    // The consumer trims safely; MAXLEN here could delete entries nobody processed yet.
    return [client, createPublisher({ redis: client, stream: this.stream, maxLen: { strategy: 'off' } })];
  }

  /** Publishes with retries until Redis accepts the batch; returns the entry ids. */
  async publish(batch: readonly ExpectedCompletion[]): Promise<string[]> {
    for (;;) {
      await this.gate;
      const attempt = this.publisher.publishMany(batch.map((c) => c.message));
      this.inFlight = attempt.catch(() => {});
      try {
        const ids = await attempt;
        this.published += batch.length;
        return ids;
      } catch {
        await sleep(200);
      }
    }
  }

  /** A foreign producer's raw XADD (no validation, no size cap); written once, before any fault. */
  async writeRaw(entries: readonly MalformedEntry[]): Promise<string[]> {
    const pipeline = this.client.pipeline();
    for (const entry of entries) pipeline.xadd(this.stream, '*', ...entry.fields);
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, id]) => {
      if (error) throw error;
      return id as string;
    });
  }

  /** Publishes `completions` in batches of `batchSize`, spread evenly over `spanMs`. */
  async run(completions: readonly ExpectedCompletion[], spanMs: number, batchSize = 200): Promise<void> {
    const batches = Math.ceil(completions.length / batchSize);
    const started = Date.now();
    for (let b = 0; b < batches; b++) {
      await this.publish(completions.slice(b * batchSize, (b + 1) * batchSize));
      const due = started + ((b + 1) * spanMs) / batches;
      if (due > Date.now()) await sleep(due - Date.now());
    }
  }

  /** Stops before the next batch and waits for the batch in flight. */
  async pause(): Promise<void> {
    this.gate = new Promise((resolve) => {
      this.openGate = resolve;
    });
    await this.inFlight;
  }

  /** Continues on a new connection (the old one may still be backing off from the outage). */
  resume(): void {
    this.client.disconnect();
    [this.client, this.publisher] = this.connect();
    this.openGate();
  }

  /** Closes the connection. */
  close(): void {
    this.client.disconnect();
  }
}

import {
  encodeData,
  MessageTooLargeError,
  MessageValidationError,
  type OperationCompleteInput,
} from '@chat/completion-schema';
import { type Cluster, Redis } from 'ioredis';
import { withDeadline } from './deadline.js';
import {
  type BatchFailure,
  InvalidBatchError,
  PublisherClosedError,
  PublisherOptionsError,
  toPublishError,
} from './errors.js';
import { assertMarkerShareSlot, publishedMarkerKey } from './keys.js';
import publishOnceScript from './lua/publish-once-2.lua';
import { type DefaultedPublisherOptions, type PublisherOptions, resolvePublisherOptions } from './options.js';
import { activeTraceparent } from './trace-context.js';

/** Versioned so two versions of this package on one client never run each other's script. */
const PUBLISH_ONCE_COMMAND = 'chatPublishOnce_v1';

type ScriptCommand = (...args: (string | number)[]) => Promise<string>;
type Client = Redis | Cluster;

/**
 * Publishes operation-complete messages to the completion stream. Every message is validated and size-checked
 * before anything is sent, every call settles within `timeoutMs`, and (by default) a retry of the same
 * `operation_id` returns the first entry's id instead of adding a duplicate.
 */
export class CompletionPublisher {
  /** The options in effect, defaults applied. */
  readonly options: Readonly<DefaultedPublisherOptions>;
  private readonly client: Client;
  /** True when the connection was created from `url`, so `close()` must quit it. */
  private readonly ownsClient: boolean;
  private readonly maxLenArgs: string[];
  private closing: Promise<void> | undefined;

  constructor(options: PublisherOptions) {
    if ((options.redis === undefined) === (options.url === undefined))
      throw new PublisherOptionsError('give exactly one of `redis` (a client you own) or `url`');
    this.options = Object.freeze(resolvePublisherOptions(options));
    if (this.options.idempotency.enabled) assertMarkerShareSlot(this.options.stream);
    const { strategy, count } = this.options.maxLen;
    this.maxLenArgs = strategy === 'off' ? [] : ['MAXLEN', strategy === 'exact' ? '=' : '~', String(count)];

    if (options.redis) {
      this.client = options.redis;
      this.ownsClient = false;
    } else {
      const timeoutMs = this.options.timeoutMs;
      this.client = new Redis(options.url as string, {
        connectionName: 'chat-completion-publisher',
        connectTimeout: timeoutMs,
        // A command Redis never answers fails instead of waiting forever.
        commandTimeout: timeoutMs,
        // Queue while the first connection is being made, so publishing right after construction works…
        enableOfflineQueue: true,
        // …but give up after one reconnect attempt: a producer wants a prompt error it can retry, not a queue.
        maxRetriesPerRequest: 1,
      });
      // Failures reach callers through publish(); without a listener ioredis would print them to the console.
      this.client.on('error', () => {});
      this.ownsClient = true;
    }
    const client = this.client as Client & Record<string, unknown>;
    if (typeof client[PUBLISH_ONCE_COMMAND] !== 'function')
      this.client.defineCommand(PUBLISH_ONCE_COMMAND, { numberOfKeys: 2, lua: publishOnceScript });
  }

  /**
   * Validates and publishes one message; resolves to its stream entry id (the first entry's id when this
   * `operation_id` was already published within the idempotency window). One round trip.
   * @throws MessageValidationError, MessageTooLargeError (nothing sent); RedisUnavailableError,
   * PublishTimeoutError, RedisCommandError, PublisherClosedError.
   */
  async publish(message: OperationCompleteInput): Promise<string> {
    this.assertOpen();
    const data = this.encode(message, await this.traceparent());
    return this.run(async () => {
      if (!this.options.idempotency.enabled) {
        return (await this.client.xadd(this.options.stream, ...this.maxLenArgs, '*', 'data', data)) as string;
      }
      const command = (this.client as unknown as Record<string, ScriptCommand>)[PUBLISH_ONCE_COMMAND]!;
      return command.apply(this.client, this.scriptArgs(message.operation_id, data));
    });
  }

  /** The original's `publish_operation_complete`, bound so it can be destructured off the publisher. */
  readonly publishOperationComplete = (message: OperationCompleteInput): Promise<string> =>
    this.publish(message);

  /**
   * Validates every message, then publishes them all in one pipelined round trip; resolves to their entry ids
   * in order. When any message is invalid nothing is sent and {@link InvalidBatchError} lists each bad index.
   * If Redis fails part way, earlier entries may have been written; with idempotency on, retrying is safe.
   */
  async publishMany(messages: readonly OperationCompleteInput[]): Promise<string[]> {
    this.assertOpen();
    const traceparent = await this.traceparent();
    const encoded: string[] = [];
    const failures: BatchFailure[] = [];
    messages.forEach((message, index) => {
      try {
        encoded.push(this.encode(message, traceparent));
      } catch (error) {
        if (!MessageValidationError.isInstance(error) && !MessageTooLargeError.isInstance(error)) throw error;
        failures.push({ index, error });
      }
    });
    if (failures.length > 0) throw new InvalidBatchError(failures, messages.length);
    if (encoded.length === 0) return [];

    return this.run(async () => {
      const pipeline = this.client.pipeline() as ReturnType<Client['pipeline']> &
        Record<string, ScriptCommand>;
      encoded.forEach((data, index) => {
        if (this.options.idempotency.enabled) {
          pipeline[PUBLISH_ONCE_COMMAND]!(...this.scriptArgs(messages[index]!.operation_id, data));
        } else {
          pipeline.xadd(this.options.stream, ...this.maxLenArgs, '*', 'data', data);
        }
      });
      const replies = (await pipeline.exec()) ?? [];
      return replies.map(([error, id]) => {
        if (error) throw error;
        return id as string;
      });
    });
  }

  /**
   * Stops the publisher: later calls reject with PublisherClosedError. Quits the connection only when it was
   * created from `url`; a client passed in stays open. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (!this.ownsClient) return;
    const client = this.client as Redis;
    if (client.status !== 'ready') {
      client.disconnect();
      return;
    }
    try {
      await withDeadline(client.quit(), this.options.timeoutMs);
    } catch {
      // QUIT could not be delivered; dropping the socket releases everything just the same.
      client.disconnect();
    }
  }

  private assertOpen(): void {
    if (this.closing) throw new PublisherClosedError();
  }

  private traceparent(): Promise<string | undefined> {
    return this.options.traceContext ? activeTraceparent() : Promise.resolve(undefined);
  }

  /** Adds `published_at` and the active `traceparent` where the message has none, then validates and encodes. */
  private encode(message: OperationCompleteInput, traceparent: string | undefined): string {
    const additions: Partial<OperationCompleteInput> = {};
    if (this.options.stampPublishedAt && message?.published_at === undefined)
      additions.published_at = new Date().toISOString();
    if (traceparent !== undefined && message?.traceparent === undefined) additions.traceparent = traceparent;
    const stamped = Object.keys(additions).length > 0 ? { ...message, ...additions } : message;
    return encodeData(stamped, { maxBytes: this.options.maxMessageBytes });
  }

  private scriptArgs(operationId: string, data: string): string[] {
    const { stream, idempotency, maxLen } = this.options;
    return [
      stream,
      publishedMarkerKey(stream, operationId),
      data,
      String(idempotency.windowSeconds),
      maxLen.strategy === 'off' ? '' : maxLen.strategy === 'exact' ? '=' : '~',
      String(maxLen.count),
    ];
  }

  private async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await withDeadline(work(), this.options.timeoutMs);
    } catch (error) {
      throw toPublishError(error, this.options.timeoutMs);
    }
  }
}

/** Creates a {@link CompletionPublisher}; see {@link PublisherOptions}. */
export function createPublisher(options: PublisherOptions): CompletionPublisher {
  return new CompletionPublisher(options);
}

import {
  ChatPipelineError,
  encodeData,
  type OperationCompleteInput,
  partitionFor,
  SCHEMA_VERSION,
} from '@chat/completion-schema';
import { encodeStamped, prepareStamp, type Stamp } from '@chat/completion-schema/internal';
import { defineScript, isCluster, luaScript, masterFor, queueScript, runScript } from '@chat/redis-kit';
import { type Cluster, Redis } from 'ioredis';
import { withDeadline } from './deadline.js';
import {
  type BatchFailure,
  InvalidBatchError,
  PublisherClosedError,
  RedisUnavailableError,
  ReplicationTimeoutError,
  toPublishError,
} from './errors.js';
import { publishedMarkerKey } from './keys.js';
import publishManyScript from './lua/publish-many-n.lua';
import {
  type PublisherOptions,
  type ResolvedPublisherOptions,
  resolvePublisherOptions,
  streamsOf,
} from './options.js';
import { type SendTrace, startSendTrace, type TraceFields } from './trace-context.js';

/**
 * The publisher's script: publishes one stream's messages, each once per operation. Its command name comes from
 * its content, so versions never run each other's.
 */
const PUBLISH_MANY = luaScript('chatPublisher', 'publish-many-n', publishManyScript);

/**
 * Messages per script call: one call per stream and batch keeps Redis from running a command per message, and
 * the cap keeps one call short (Redis serves no one else while a script runs) and its keys within what Lua's
 * `unpack` takes.
 */
const SCRIPT_BATCH = 1000;

type Client = Redis | Cluster;

/**
 * Publishes operation-complete messages to the completion stream. Every message is validated and size-checked
 * before anything is sent, every call settles within `timeoutMs`, and (by default) a retry of the same
 * `operation_id` returns the first entry's id instead of adding a duplicate.
 */
export class CompletionPublisher {
  /** The options in effect, defaults applied. */
  readonly options: Readonly<ResolvedPublisherOptions>;
  /** The streams messages go to, in partition order: `[stream]` unless `partitions` > 1. */
  readonly streams: readonly string[];
  private readonly client: Client;
  /** True when the connection was created from `url`, so `close()` must quit it. */
  private readonly ownsClient: boolean;
  private readonly maxLenArgs: string[];
  /** The script's first ARGV: marker lifetime, MAXLEN `~`, `=` or `''` (no cap), MAXLEN count. */
  private readonly scriptArgv: string[];
  private closing: Promise<void> | undefined;
  /** The last error our own connection reported since it was last ready: the cause a failed publish names. */
  private connectionError: Error | undefined;

  constructor(options: PublisherOptions) {
    this.options = Object.freeze(resolvePublisherOptions(options));
    this.streams = Object.freeze(streamsOf(this.options));
    const { strategy, count } = this.options.maxLen;
    const cap = strategy === 'off' ? '' : strategy === 'exact' ? '=' : '~';
    this.maxLenArgs = cap ? ['MAXLEN', cap, String(count)] : [];
    this.scriptArgv = [String(this.options.idempotency.windowSeconds), cap, String(count)];

    if (options.redis) {
      this.client = options.redis;
      this.ownsClient = false;
    } else {
      const timeoutMs = this.options.timeoutMs;
      this.client = new Redis(options.url as string, {
        connectionName: 'chat-completion-publisher',
        connectTimeout: timeoutMs,
        // No commandTimeout: every call races its own `timeoutMs` deadline, and a timer per command costs.
        // Queue while the first connection is being made, so publishing right after construction works…
        enableOfflineQueue: true,
        // …but give up after one reconnect attempt: a producer wants a prompt error it can retry, not a queue.
        maxRetriesPerRequest: 1,
      });
      // Failures reach callers through publish(), naming this error; without a listener ioredis would print them.
      this.client
        .on('error', (error: Error) => {
          this.connectionError = error;
        })
        .on('ready', () => {
          this.connectionError = undefined;
        });
      this.ownsClient = true;
    }
    // Defined up front: a pipeline only offers the commands its client had when it was created.
    defineScript(this.client, PUBLISH_MANY);
  }

  /**
   * Validates and publishes one message; resolves to its stream entry id (the first entry's id when this
   * `operation_id` was already published within the idempotency window). One round trip.
   * @throws MessageValidationError, MessageTooLargeError, MessageTooDeepError (nothing sent); RedisUnavailableError,
   * PublishTimeoutError, RedisCommandError, PublisherClosedError.
   */
  async publish(message: OperationCompleteInput): Promise<string> {
    this.assertOpen();
    const taskId = typeof message?.task_id === 'string' ? message.task_id : undefined;
    // The stream is named before validation (the span exists first); an invalid message fails in encode() below.
    const stream = taskId === undefined ? this.options.stream : this.streamFor(taskId);
    const trace = await this.startTrace(stream, { 'messaging.message.conversation_id': taskId });
    let data: string;
    try {
      data = this.encode(message, this.stamp(trace?.fields));
    } catch (error) {
      trace?.failed(error);
      throw error;
    }
    return this.traced(trace, async () => {
      let id: string;
      if (!this.options.idempotency.enabled) {
        id = (await this.client.xadd(stream, ...this.maxLenArgs, '*', 'data', data)) as string;
      } else {
        const [keys, args] = this.scriptArgs(stream, [message.operation_id], [data]);
        [id] = (await runScript(this.client, PUBLISH_MANY, keys, args)) as [string];
      }
      await this.replicate([stream]);
      return [id];
    }).then(([id]) => id!);
  }

  /** The stream a message for `taskId` goes to (its partition's stream; `stream` itself with one partition). */
  streamFor(taskId: string): string {
    const { partitions } = this.options;
    return this.streams[partitions === 1 ? 0 : partitionFor(taskId, partitions)]!;
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
    const destination = this.streams.length === 1 ? this.streams[0]! : this.options.stream;
    const trace = await this.startTrace(destination, { 'messaging.batch.message_count': messages.length });
    // One timestamp for the batch (it was published at one moment), its stamp checked and encoded once.
    const stamp = this.stamp(trace?.fields);
    const encoded: string[] = [];
    const failures: BatchFailure[] = [];
    messages.forEach((message, index) => {
      try {
        encoded.push(this.encode(message, stamp));
      } catch (error) {
        // Every typed error encoding throws is a verdict on the message (schema_violation, too_large, too_deep, or
        // a code a newer schema adds); anything else is a bug and propagates.
        if (!ChatPipelineError.isInstance(error)) throw error;
        failures.push({ index, error: error as BatchFailure['error'] });
      }
    });
    if (failures.length > 0) {
      const error = new InvalidBatchError(failures, messages.length);
      trace?.failed(error);
      throw error;
    }
    if (encoded.length === 0) {
      trace?.sent([]);
      return [];
    }

    // Each stream's messages in order; with idempotency on, one script call per stream (and per SCRIPT_BATCH).
    const byStream = new Map<string, number[]>();
    messages.forEach((message, index) => {
      const stream = this.streamFor(message.task_id);
      const indexes = byStream.get(stream);
      if (indexes) indexes.push(index);
      else byStream.set(stream, [index]);
    });
    // A cluster pipeline must stay on one node, so each stream (partition) goes out as its own pipeline, all at
    // once; a single server takes every stream in one pipeline (one round trip).
    const streams = [...byStream.keys()];
    const pipelines = isCluster(this.client) ? streams.map((stream) => [stream]) : [streams];
    return this.traced(trace, async () => {
      const ids: string[] = new Array(encoded.length);
      await Promise.all(pipelines.map((group) => this.send(group, byStream, messages, encoded, ids)));
      await this.replicate(streams);
      return ids;
    });
  }

  /** One pipeline with the messages of `streams`; writes each entry id into `ids` at its message's index. */
  private async send(
    streams: readonly string[],
    byStream: ReadonlyMap<string, readonly number[]>,
    messages: readonly OperationCompleteInput[],
    encoded: readonly string[],
    ids: string[],
  ): Promise<void> {
    const pipeline = this.client.pipeline();
    // The message index each queued command answers for (an XADD), or the indexes (a script), in queue order.
    const queued: (number | readonly number[])[] = [];
    for (const stream of streams) {
      const indexes = byStream.get(stream)!;
      if (!this.options.idempotency.enabled) {
        for (const index of indexes) {
          pipeline.xadd(stream, ...this.maxLenArgs, '*', 'data', encoded[index]!);
          queued.push(index);
        }
        continue;
      }
      for (let from = 0; from < indexes.length; from += SCRIPT_BATCH) {
        const chunk = indexes.slice(from, from + SCRIPT_BATCH);
        const [keys, args] = this.scriptArgs(
          stream,
          chunk.map((index) => messages[index]!.operation_id),
          chunk.map((index) => encoded[index]!),
        );
        queueScript(pipeline, PUBLISH_MANY, keys, args);
        queued.push(chunk);
      }
    }
    const replies = (await pipeline.exec()) ?? [];
    replies.forEach(([error, reply], at) => {
      if (error) throw error;
      // An XADD answers with its one id, a script with its chunk's ids.
      const indexes = queued[at]!;
      if (typeof indexes === 'number') ids[indexes] = reply as string;
      else for (let i = 0; i < indexes.length; i++) ids[indexes[i]!] = (reply as string[])[i]!;
    });
  }

  /**
   * WAIT on the connection that wrote each stream (one per master on a Cluster): WAIT counts the replicas of that
   * connection's writes, so it must run where the XADD ran.
   */
  private async replicate(streams: string[]): Promise<void> {
    const { replicas, timeoutMs } = this.options.waitForReplicas;
    if (replicas === 0) return;
    const connections = new Set<Redis>();
    for (const stream of streams) {
      if (!isCluster(this.client)) connections.add(this.client);
      else {
        const node = masterFor(this.client, stream);
        if (!node) throw new RedisUnavailableError(`no known master for ${stream}`);
        connections.add(node);
      }
    }
    const acked = await Promise.all([...connections].map((c) => c.wait(replicas, timeoutMs)));
    const least = Math.min(...acked.map(Number));
    if (least < replicas) throw new ReplicationTimeoutError(replicas, least);
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

  private startTrace(
    destination: string,
    attributes: Record<string, string | number | undefined>,
  ): Promise<SendTrace | undefined> {
    return this.options.traceContext ? startSendTrace(destination, attributes) : Promise.resolve(undefined);
  }

  /** {@link run}, ending the send span with the ids or the error. */
  private async traced(trace: SendTrace | undefined, work: () => Promise<string[]>): Promise<string[]> {
    if (!trace) return this.run(work);
    try {
      const ids = await this.run(work);
      trace.sent(ids);
      return ids;
    } catch (error) {
      trace.failed(error);
      throw error;
    }
  }

  /** What a call stamps: `schema_version`, `published_at` (now) and the send span's `traceparent` and `tracestate`. */
  private stamp(trace: TraceFields | undefined): Stamp {
    const { stampSchemaVersion, stampPublishedAt } = this.options;
    const fields: Record<string, string> = {};
    if (stampSchemaVersion) fields.schema_version = SCHEMA_VERSION;
    if (stampPublishedAt) fields.published_at = new Date().toISOString();
    if (trace?.traceparent !== undefined) {
      fields.traceparent = trace.traceparent;
      if (trace.tracestate !== undefined) fields.tracestate = trace.tracestate;
    }
    return prepareStamp(fields);
  }

  /**
   * Adds the stamped fields the message does not carry (`tracestate` with `traceparent`: only where the message has
   * no `traceparent`), then validates and encodes. The common message, lacking them all, is encoded once and the
   * batch's stamp appended.
   */
  private encode(message: OperationCompleteInput, stamp: Stamp): string {
    const maxBytes = this.options.maxMessageBytes;
    const fast = encodeStamped(message, stamp, maxBytes);
    if (fast !== undefined) return fast;
    const additions: Record<string, string> = {};
    for (const key in stamp.fields) {
      const given = (message as Record<string, unknown> | undefined)?.[
        key === 'tracestate' ? 'traceparent' : key
      ];
      if (given === undefined) additions[key] = stamp.fields[key]!;
    }
    const stamped = Object.keys(additions).length > 0 ? { ...message, ...additions } : message;
    return encodeData(stamped, { maxBytes });
  }

  /** KEYS and ARGV of publish-many-n for one stream's messages (operation ids and encoded data, in order). */
  private scriptArgs(
    stream: string,
    operationIds: readonly string[],
    data: readonly string[],
  ): [string[], string[]] {
    const marker = publishedMarkerKey(stream, '');
    return [[stream, ...operationIds.map((id) => marker + id)], this.scriptArgv.concat(data)];
  }

  private async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await withDeadline(work(), this.options.timeoutMs);
    } catch (error) {
      throw toPublishError(error, this.options.timeoutMs, {
        endpoint: endpointOf(this.client),
        connectionError: this.connectionError,
      });
    }
  }
}

/** The server a client talks to, for error messages: `host:port`, a socket path, or `Redis Cluster`. */
function endpointOf(client: Client): string {
  if (isCluster(client)) return 'Redis Cluster';
  const { host, port, path } = client.options;
  return path || `${host}:${port}`;
}

/** Creates a {@link CompletionPublisher}; see {@link PublisherOptions}. */
export function createPublisher(options: PublisherOptions): CompletionPublisher {
  return new CompletionPublisher(options);
}

import { randomUUID } from 'node:crypto';
import type { Logger } from '@chat/completion-schema';
import { childLogger } from '@chat/completion-schema/internal';
import { flatRecord, TickBatcher } from '@chat/redis-kit';
import { type Cluster, Redis, ReplyError } from 'ioredis';
import { assertFits, encodeChunk, type UIMessageChunk } from './chunk-schema.js';
import { ClusterStreamReader } from './cluster-reader.js';
import { SubscribeReads } from './coalesced-reads.js';
import {
  InvalidChunkError,
  InvalidInputError,
  RegistryClosedError,
  StreamRegistryOptionsError,
  TaskExistsError,
  TaskNotFoundError,
  TaskNotRunningError,
} from './errors.js';
import { ForeignTaskSweep } from './foreign-task-sweep.js';
import {
  type ResolvedStreamRegistryOptions,
  resolveStreamRegistryOptions,
  type StreamRegistryOptions,
} from './options.js';
import { waitForReplicasOf } from './replica-wait.js';
import { runScript } from './scripts.js';
import { ShardedStreamReader } from './sharded-reader.js';
import { type LiveReader, SharedStreamReader } from './shared-reader.js';
import { checkSubscribe } from './subscribe-check.js';
import { Subscription } from './subscription.js';
import {
  type ActiveTask,
  type CreateTaskInput,
  createTaskInputSchema,
  type TaskLookup,
  taskFromHash,
} from './task.js';
import {
  FINISH_CHUNK_JSON,
  type SettleOutcome,
  type SettleTaskInput,
  settleOutcome,
} from './task-completion.js';
import { type TaskKeys, taskKeys } from './task-keys.js';
import { formatTaskTimestamp } from './task-timestamp.js';
import { withSpan } from './tracing.js';

/** How `completeTask` ends a task. */
export interface CompleteTaskInput {
  status: 'completed' | 'failed';
  /** Chunks appended before the `finish` chunk, e.g. `tool-output-available`. */
  chunks: UIMessageChunk[];
  /** Stored in the task hash as `result` (a completed task's output, already serialised). */
  result?: string;
  /** Stored in the task hash as `error`. */
  error?: string;
}

/** Options of {@link StreamRegistry.subscribe}. */
export interface SubscribeOptions {
  /** The caller's user; must match the task's owner unless the task is anonymous. */
  userId?: string | null;
  /** Resume after this entry id (SSE `Last-Event-ID`); from the beginning when absent. */
  lastEventId?: string | null;
  /** Ends the iteration (for example when the HTTP client goes away). */
  signal?: AbortSignal;
}

type Client = Redis | Cluster;

/** The task id an operation key maps to, and the hash of the task a message names. */
type OperationAndTask = [string | null, Record<string, string>];

/** One task's part of a batched settle: its three keys (hash, stream, marker) and the settle's 13 arguments. */
interface SettleCall {
  keys: readonly [string, string, string];
  args: readonly (string | number)[];
}

/** Most lookups or settles in one script: a batch is a read batch's handlers, and a script blocks the server. */
const MAX_BATCH = 64;

/** One task's reply from a script that works through many (`includes/isolated.lua`): its own, or its error. */
type IsolatedReply<T> = T | ['error', string];

/**
 * The error of one task's reply in a many-task script, as a command sent alone would have rejected with it. Only
 * an error is `['error', <string>]`: no settle outcome is named `error`, and a lookup's second element is a list.
 */
function isolatedError(reply: readonly unknown[]): Error | undefined {
  return reply[0] === 'error' && typeof reply[1] === 'string' ? new ReplyError(reply[1]) : undefined;
}

/** Arguments of one task's settle (`includes/settle-task.lua`), as `settle-tasks-n.lua` slices them. */
const SETTLE_ARGS = 13;

/**
 * Active chat tasks and their chunk streams in Redis: what the chat API registers, the completion worker
 * completes exactly once, and browsers replay and tail. One instance per process shares one blocking reader.
 */
export class StreamRegistry {
  /** Options after defaults. */
  readonly options: ResolvedStreamRegistryOptions;
  /** Key names in use (exposed so operators and tests see the same names the scripts touch). */
  readonly keys: TaskKeys;
  private readonly redis: Client;
  private readonly ownsConnection: boolean;
  private readonly isCluster: boolean;
  private readonly logger: Logger;
  private readonly reader: LiveReader;
  /** Subscription checks and replay pages, shared by subscribers of a task who ask together (reconnect storms). */
  private readonly reads: SubscribeReads;
  private readonly foreignTasks: ForeignTaskSweep | undefined;
  /**
   * In the compat layout (one Redis), the lookups and the settles asked for in one turn of the event loop (the
   * handlers one read batch starts) go out as one script each: one round trip and one socket write for the batch,
   * not one per completion. The cluster layout keeps each call to one hash slot (a script cannot span slots on a
   * Cluster or behind a cluster-aware proxy), so there each call is its own.
   */
  private readonly lookups: TickBatcher<readonly [string, string], OperationAndTask> | undefined;
  private readonly settles: TickBatcher<SettleCall, (string | null)[]> | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: StreamRegistryOptions) {
    const { redis, url } = options;
    this.options = resolveStreamRegistryOptions(options);
    this.ownsConnection = !redis;
    const client = redis ?? new Redis(url as string, { lazyConnect: false });
    this.isCluster = (client as Cluster).isCluster === true;
    if (this.isCluster && this.options.keyLayout === 'compat') {
      throw new StreamRegistryOptionsError("a Redis Cluster client needs keyLayout 'cluster'", {
        option: 'keyLayout',
      });
    }
    this.redis = client;
    if (this.options.keyLayout === 'compat') {
      this.lookups = new TickBatcher((calls) => this.lookUpMany(calls), MAX_BATCH);
      this.settles = new TickBatcher((calls) => this.settleMany(calls), MAX_BATCH);
    }
    this.reads = new SubscribeReads(client);
    this.logger = childLogger(this.options.logger, { component: 'stream-registry' });
    if (this.ownsConnection) {
      // ioredis reconnects by itself and reports each failure as an 'error' event; without a listener it prints
      // them to the console. A caller-owned client is the caller's to listen to.
      client.on('error', (error: unknown) => {
        this.logger.warn({ err: error }, 'stream-registry: connection error');
      });
    }
    this.keys = taskKeys(this.options.keyLayout, this.options.keyPrefix);
    if (this.options.keyLayout === 'compat' && this.options.foreignTaskSweepMs > 0) {
      this.foreignTasks = new ForeignTaskSweep({
        redis: client as Redis,
        keys: this.keys,
        metaPattern: `${this.keys.meta('')}*`,
        intervalMs: this.options.foreignTaskSweepMs,
        ttlSeconds: this.options.ttlSeconds,
        logger: this.logger,
      });
    }
    const base = (client as Redis).options?.connectionName;
    const readerName = `${base ?? 'chat-stream-registry'}:reader`;
    this.reader = this.isCluster
      ? new ClusterStreamReader({
          cluster: client as Cluster,
          blockMs: this.options.blockMs,
          readCount: this.options.readCount,
          pollMs: this.options.clusterPollMs,
          connectionName: readerName,
          logger: this.logger,
        })
      : this.singleServerReader(client as Redis, readerName);
  }

  /** One shared reader, or `readerConnections` of them each tailing its share of the streams. */
  private singleServerReader(client: Redis, readerName: string): LiveReader {
    const reader = () =>
      new SharedStreamReader({
        connect: () =>
          client.duplicate({
            maxRetriesPerRequest: null,
            enableAutoPipelining: false,
            connectionName: readerName,
          }),
        unblockVia: () => client,
        blockMs: this.options.blockMs,
        readCount: this.options.readCount,
        logger: this.logger,
      });
    const n = this.options.readerConnections;
    return n === 1 ? reader() : new ShardedStreamReader(Array.from({ length: n }, reader));
  }

  /** Subscribers currently in their live tail (one reader connection serves them all, per cluster node); for metrics. */
  get liveSubscriberCount(): number {
    return this.reader.sinkCount;
  }

  /** Registers a running task, its operation → task mapping and its session index entry, all with the TTL. */
  async createTask(input: CreateTaskInput): Promise<ActiveTask> {
    this.assertOpen();
    const parsed = createTaskInputSchema.safeParse(input);
    if (!parsed.success) {
      throw new InvalidInputError(`invalid task: ${parsed.error.issues[0]?.message}`);
    }
    const { taskId, sessionId, userId, toolCallId, toolName, operationId } = parsed.data;
    const now = Date.now();
    const createdAt = formatTaskTimestamp(now, this.options.keyLayout);
    const ttl = this.options.ttlSeconds;
    const cutoff = now - ttl * 1000;
    const fields = [taskId, sessionId, userId ?? '', toolCallId, toolName, operationId, createdAt, ttl];
    let created: number;
    if (this.options.keyLayout === 'compat') {
      created = (await runScript(
        this.redis,
        'create-task-compat-3',
        [this.keys.meta(taskId), this.keys.operation(operationId), this.keys.session(sessionId)],
        [...fields, now, cutoff],
      )) as number;
    } else {
      // Cluster: the mapping and the index hash to other slots. The task hash goes first, so whoever finds the
      // mapping or the index entry also finds the task; until they land, lookups miss as if not yet created.
      created = (await runScript(
        this.redis,
        'create-task-cluster-1',
        [this.keys.meta(taskId)],
        fields,
      )) as number;
      if (created === 1) {
        await Promise.all([
          this.redis.set(this.keys.operation(operationId), taskId, 'EX', ttl),
          runScript(
            this.redis,
            'index-session-1',
            [this.keys.session(sessionId)],
            [taskId, now, cutoff, ttl],
          ),
        ]);
      }
    }
    if (created !== 1) {
      throw new TaskExistsError(`task ${taskId} already exists`, { taskId });
    }
    return {
      taskId,
      sessionId,
      userId: userId ? userId : null,
      toolCallId,
      toolName,
      operationId,
      status: 'running',
      createdAt,
    };
  }

  /** The task, or null when its hash is missing (never created, or expired). */
  async getTask(taskId: string): Promise<ActiveTask | null> {
    this.assertOpen();
    if (!taskId) return null;
    return taskFromHash(await this.redis.hgetall(this.keys.meta(taskId)));
  }

  /** The task an operation belongs to, or null. */
  async findTaskByOperationId(operationId: string): Promise<ActiveTask | null> {
    this.assertOpen();
    if (!operationId) return null;
    const taskId = await this.redis.get(this.keys.operation(operationId));
    return taskId ? this.getTask(taskId) : null;
  }

  /**
   * The task a completion message names: by operation id, else by task id (the original's order), in one round
   * trip in the usual case where both name the same task — the GET of the operation key and the HGETALL of the
   * task are sent together (in the compat layout in one script with the lookups of the same turn of the event
   * loop), and a second HGETALL follows only when the operation maps to another task.
   */
  async findTaskForCompletion(operationId: string, taskId: string): Promise<ActiveTask | null> {
    this.assertOpen();
    const attributes = { 'chat.task_id': taskId, 'chat.operation_id': operationId };
    return withSpan('find_task', attributes, () => this.lookUpForCompletion(operationId, taskId));
  }

  private async lookUpForCompletion(operationId: string, taskId: string): Promise<ActiveTask | null> {
    const [mapped, hash] = await this.readOperationAndTask(operationId, taskId);
    if (mapped && mapped !== taskId) {
      const byOperation = await this.getTask(mapped);
      if (byOperation) return byOperation;
    }
    return taskFromHash(hash);
  }

  /**
   * The operation key's task id and the task's hash, in one round trip: in the compat layout one script for every
   * completion looked up in the same turn ({@link TickBatcher}); in the cluster layout a pipeline on a single
   * server, and on a Cluster two commands in flight at once (the two keys live in different slots).
   */
  private async readOperationAndTask(operationId: string, taskId: string): Promise<OperationAndTask> {
    if (operationId && taskId) {
      if (this.lookups) return this.lookups.add([operationId, taskId]);
      if (!this.isCluster) {
        const replies = (await this.redis
          .pipeline()
          .get(this.keys.operation(operationId))
          .hgetall(this.keys.meta(taskId))
          .exec()) as [Error | null, unknown][];
        for (const [error] of replies) if (error) throw error;
        return [replies[0]?.[1] as string | null, replies[1]?.[1] as Record<string, string>];
      }
    }
    return Promise.all([
      operationId ? this.redis.get(this.keys.operation(operationId)) : Promise.resolve(null),
      taskId ? this.redis.hgetall(this.keys.meta(taskId)) : Promise.resolve({}),
    ]);
  }

  /** The lookups of one turn in one script: one reply per completion, or that lookup's error (the others go on). */
  private async lookUpMany(
    calls: readonly (readonly [string, string])[],
  ): Promise<(OperationAndTask | Error)[]> {
    const keys: string[] = [];
    for (const [operationId, taskId] of calls)
      keys.push(this.keys.operation(operationId), this.keys.meta(taskId));
    const replies = (await runScript(this.redis, 'find-tasks-n', keys)) as IsolatedReply<
      [string | null, string[]]
    >[];
    return replies.map((reply) => {
      const failed = isolatedError(reply);
      if (failed) return failed;
      const [mapped, hash] = reply as [string | null, string[]];
      return [mapped, flatRecord(hash)];
    });
  }

  /** The settles of one turn in one script: one reply per task, or that task's error (the others go on). */
  private async settleMany(calls: readonly SettleCall[]): Promise<((string | null)[] | Error)[]> {
    const keys: string[] = [];
    const args: (string | number)[] = [];
    for (const call of calls) {
      // settle-tasks-n.lua slices ARGV by this count: one missing argument would shift every later task's.
      if (call.args.length !== SETTLE_ARGS)
        throw new Error(`a settle takes ${SETTLE_ARGS} arguments, got ${call.args.length}`);
      keys.push(...call.keys);
      for (const arg of call.args) args.push(arg);
    }
    const replies = (await runScript(this.redis, 'settle-tasks-n', keys, args)) as IsolatedReply<
      (string | null)[]
    >[];
    return replies.map((reply) => isolatedError(reply) ?? (reply as (string | null)[]));
  }

  /** Like `getTask`, but tells an expired task (chunks still there, hash gone) from one that never was. */
  async getTaskWithExpiryInfo(taskId: string): Promise<TaskLookup> {
    this.assertOpen();
    if (!taskId) return { state: 'not_found', taskId };
    const [hash, streamExists] = await Promise.all([
      this.redis.hgetall(this.keys.meta(taskId)),
      this.redis.exists(this.keys.stream(taskId)),
    ]);
    const task = taskFromHash(hash);
    if (task) return { state: 'found', task };
    return { state: streamExists === 1 ? 'expired' : 'not_found', taskId };
  }

  /**
   * The newest running task of a session that `userId` may see (anonymous tasks are visible to all), or null.
   * Reads the session index, so the cost is a few keys, never a SCAN when the index has the task. In the `compat`
   * layout a miss may also sweep for tasks the Python original created (see `foreignTaskSweepMs`) and read again.
   */
  async getActiveTaskForSession(sessionId: string, userId?: string | null): Promise<ActiveTask | null> {
    this.assertOpen();
    if (!sessionId) return null;
    const found = await this.activeTaskFromIndex(sessionId, userId);
    if (found || !this.foreignTasks || !(await this.foreignTasks.sweepIfDue())) return found;
    return this.activeTaskFromIndex(sessionId, userId);
  }

  private async activeTaskFromIndex(sessionId: string, userId?: string | null): Promise<ActiveTask | null> {
    const indexKey = this.keys.session(sessionId);
    const taskIds = await this.redis.zrevrange(indexKey, 0, this.options.sessionIndexLimit - 1);
    const hashes = await Promise.all(taskIds.map((id) => this.redis.hgetall(this.keys.meta(id))));
    const stale: string[] = [];
    let found: ActiveTask | null = null;
    hashes.forEach((hash, index) => {
      const task = taskFromHash(hash);
      if (!task) {
        stale.push(taskIds[index] as string);
        return;
      }
      if (found || task.status !== 'running' || task.sessionId !== sessionId) return;
      if (task.userId !== null && task.userId !== (userId ?? null)) return;
      found = task;
    });
    if (stale.length > 0) await this.redis.zrem(indexKey, ...stale);
    return found;
  }

  /**
   * Appends one validated chunk to a running task's stream and returns its entry id. One round trip (one
   * script). `finish` is refused: only `completeTask` writes it, so a stream holds exactly one. A chunk over
   * `maxChunkBytes` is refused with `too_large`.
   */
  async publishChunk(taskId: string, chunk: UIMessageChunk): Promise<string> {
    this.assertOpen();
    const json = encodeChunk(chunk, this.options.maxChunkBytes);
    if (chunk.type === 'finish') {
      throw new InvalidChunkError('finish is written by completeTask only', { taskId });
    }
    const [outcome, value] = (await runScript(
      this.redis,
      'publish-chunk-2',
      [this.keys.meta(taskId), this.keys.stream(taskId)],
      [json, this.options.streamMaxLen, this.options.ttlSeconds],
    )) as [string, string?];
    if (outcome === 'ok' && value) return value;
    if (outcome === 'not_found') {
      throw new TaskNotFoundError(`task ${taskId} not found`, { taskId });
    }
    throw new TaskNotRunningError(`task ${taskId} is ${value}, not running`, {
      taskId,
      status: value,
    });
  }

  /**
   * Completes a running task exactly once, in one script (one round trip): appends `chunks` and a `finish`
   * chunk, stores status, `completed_at` and result/error. Returns false, changing nothing, when the task is
   * missing or no longer running, so a redelivered completion streams nothing twice. A chunk, `result` or
   * `error` over `maxChunkBytes` is refused with `too_large` before anything is written (the task stays
   * running, so the caller can still fail it with a smaller error).
   */
  async completeTask(taskId: string, input: CompleteTaskInput): Promise<boolean> {
    this.assertOpen();
    if (input.status !== 'completed' && input.status !== 'failed') {
      throw new InvalidInputError(`status must be completed or failed, not ${input.status}`);
    }
    const limit = this.options.maxChunkBytes;
    const chunks = input.chunks.map((chunk) => {
      const json = encodeChunk(chunk, limit);
      if (chunk.type === 'finish') {
        throw new InvalidChunkError('completeTask adds the finish chunk itself', {
          taskId,
        });
      }
      return json;
    });
    if (input.result !== undefined) assertFits(input.result, limit, 'the result', taskId);
    if (input.error !== undefined) assertFits(input.error, limit, 'the error', taskId);
    const done = await runScript(
      this.redis,
      'complete-task-2',
      [this.keys.meta(taskId), this.keys.stream(taskId)],
      [
        input.status,
        new Date().toISOString(),
        this.options.ttlSeconds,
        this.options.streamMaxLen,
        input.result === undefined ? '0' : '1',
        input.result ?? '',
        input.error === undefined ? '0' : '1',
        input.error ?? '',
        FINISH_CHUNK_JSON,
        ...chunks,
      ],
    );
    return done === 1;
  }

  /**
   * The settle phase of a phased completion, in one script (one round trip): claims a `running` task for this
   * caller, appends `input.chunk` and stores the outcome and result/error, and deletes the tool call's
   * running-operation marker (in the same script in the compat layout; a separate DEL in the cluster layout,
   * where the marker hashes to another slot). In the compat layout the settles of one turn of the event loop (the
   * handlers a read batch starts) share one script, each task settled on its own within it. The task stays `running` until the returned completion's
   * `finish()`, so a Python reader sees it running throughout. A redelivery of a finished task changes nothing
   * (`finished`); a task settled by an owner whose lease (`completionLeaseMs`) ran out is handed over
   * (`resumed`, nothing appended); one whose owner is live is `busy`. With `input.finish` a task this call
   * settles is also finished in the same script (`settled_finished`: the whole completion in one round trip).
   */
  async settleTask(taskId: string, input: SettleTaskInput): Promise<SettleOutcome> {
    this.assertOpen();
    if (input.status !== 'completed' && input.status !== 'failed') {
      throw new InvalidInputError(`status must be completed or failed, not ${input.status}`);
    }
    const limit = this.options.maxChunkBytes;
    const chunk = encodeChunk(input.chunk, limit);
    if (input.chunk.type === 'finish') {
      throw new InvalidChunkError('the finish chunk is written by finish() only', { taskId });
    }
    if (input.result !== undefined) assertFits(input.result, limit, 'the result', taskId);
    if (input.error !== undefined) assertFits(input.error, limit, 'the error', taskId);
    const owner = randomUUID();
    const keys = [this.keys.meta(taskId), this.keys.stream(taskId)] as const;
    const marker = this.keys.runningOperation(input.toolCallId);
    const args = [
      owner,
      this.options.completionLeaseMs,
      input.status,
      chunk,
      input.result === undefined ? '0' : '1',
      input.result ?? '',
      input.error === undefined ? '0' : '1',
      input.error ?? '',
      this.options.ttlSeconds,
      this.options.streamMaxLen,
      input.finish ? '1' : '0',
      input.finish ? new Date().toISOString() : '',
      input.finish ? FINISH_CHUNK_JSON : '',
    ];
    const reply = this.settles
      ? await this.settles.add({ keys: [...keys, marker], args })
      : ((await runScript(this.redis, 'settle-task-cluster-2', keys, args)) as (string | null)[]);
    const outcome = settleOutcome(
      {
        redis: this.redis,
        metaKey: keys[0],
        streamKey: keys[1],
        leaseMs: this.options.completionLeaseMs,
        ttlSeconds: this.options.ttlSeconds,
        streamMaxLen: this.options.streamMaxLen,
        maxChunkBytes: limit,
      },
      taskId,
      owner,
      input,
      reply,
    );
    const claimed = 'completion' in outcome || outcome.state === 'settled_finished';
    // In the cluster layout the marker hashes to another slot than the task: its own DEL, after the settle.
    if (!this.settles && claimed) await this.redis.del(marker);
    return outcome;
  }

  /**
   * Waits (Redis `WAIT`) until `replicas` replicas have the task's writes made through this registry's client,
   * at most `timeoutMs`; resolves with how many do. Replication is asynchronous: a master that dies right after
   * acknowledging a write can take it with it, so call this where losing the write matters (before acking a
   * completion, after registering a task). One round trip, on the master that holds the task.
   */
  async waitForReplicas(taskId: string, replicas: number, timeoutMs: number): Promise<number> {
    this.assertOpen();
    return waitForReplicasOf(this.redis, this.keys.meta(taskId), replicas, timeoutMs);
  }

  /**
   * Checks the task, the caller's ownership and the cursor (one round trip), then returns the subscription to
   * iterate. Throws `task_not_found`, `task_expired`, `forbidden`, `invalid_cursor` or `cursor_trimmed`.
   */
  async subscribe(taskId: string, options: SubscribeOptions = {}): Promise<Subscription> {
    this.assertOpen();
    const metaKey = this.keys.meta(taskId);
    const streamKey = this.keys.stream(taskId);
    let factsReadAt = 0;
    const { task, cursor } = await withSpan('subscribe', { 'chat.task_id': taskId }, () =>
      checkSubscribe(
        async () => {
          const facts = await this.reads.facts(metaKey, streamKey);
          factsReadAt = facts.readAt;
          return facts.value;
        },
        taskId,
        options.userId,
        options.lastEventId,
      ),
    );
    return new Subscription(
      task,
      cursor,
      {
        redis: this.redis,
        reads: this.reads,
        factsReadAt,
        reader: this.reader,
        streamKey,
        metaKey,
        bufferSize: this.options.subscriberBufferSize,
        pageSize: this.options.replayPageSize,
        idleCheckMs: this.options.idleCheckMs,
      },
      options.signal,
    );
  }

  /** Ends live subscriptions, stops the shared reader and quits connections the registry opened. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    // Lookups and settles asked for before close() go out now and get their answers, ahead of QUIT.
    await Promise.all([this.lookups?.drain(), this.settles?.drain()]);
    try {
      await this.reader.close();
    } catch (error) {
      this.logger.warn({ err: error }, 'stream-registry: closing the shared reader failed');
    }
    if (this.ownsConnection) {
      // QUIT waits behind queued commands; while Redis is unreachable that would hold close() for every retry.
      if (this.redis.status !== 'ready') {
        this.redis.disconnect();
        return;
      }
      try {
        await this.redis.quit();
      } catch {
        this.redis.disconnect();
      }
    }
  }

  private assertOpen(): void {
    if (this.closing) throw new RegistryClosedError('the stream registry is closed');
  }
}

/** Same as `new StreamRegistry(options)`. */
export function createStreamRegistry(options: StreamRegistryOptions): StreamRegistry {
  return new StreamRegistry(options);
}

import { compareStreamIds } from '@chat/redis-kit';
import type { Cluster, Redis } from 'ioredis';
import { entriesOf, type SubscribeReads } from './coalesced-reads.js';
import { InvalidInputError, TaskExpiredError } from './errors.js';
import { LiveSink } from './live-sink.js';
import type { LiveReader } from './shared-reader.js';
import type { StreamEntry } from './stream-entry.js';
import type { ActiveTask } from './task.js';
import { type RegistrySpan, startRegistrySpan } from './tracing.js';

/** Why a subscription's iteration ended. */
export type SubscriptionEndReason = 'finish' | 'overflow' | 'aborted' | 'task_ended' | 'closed';

/** What a subscription needs from its registry. */
export interface SubscriptionContext {
  redis: Redis | Cluster;
  /** Replay pages, coalesced with other subscribers of the same stream. */
  reads: SubscribeReads;
  /** When the checks this subscription started from were read (`performance.now()`). */
  factsReadAt: number;
  reader: LiveReader;
  streamKey: string;
  metaKey: string;
  bufferSize: number;
  pageSize: number;
  idleCheckMs: number;
}

interface CaughtUpSignal {
  promise: Promise<void>;
  resolve: () => void;
}

// Per subscription: undefined while it catches up and nobody waits, a signal while someone does, null once it has
// caught up. Kept beside the class, so the SSE handlers' batching adds nothing to the public Subscription.
const caughtUpSignals = new WeakMap<Subscription, CaughtUpSignal | null>();

function markCaughtUp(subscription: Subscription): void {
  const signal = caughtUpSignals.get(subscription);
  caughtUpSignals.set(subscription, null);
  signal?.resolve();
}

/** Whether `subscription` has caught up: it waits on the live tail, or it ended. */
export function hasCaughtUp(subscription: Subscription): boolean {
  return caughtUpSignals.get(subscription) === null;
}

/**
 * Resolves once `subscription` has read everything it missed (the replay, and the gap the live tail began after)
 * and waits on the live tail, or has ended; at once if it has. Until then its next entry is at most a page read
 * away, so the SSE handlers hold the frames of a replay back and send them in one write.
 */
export function caughtUp(subscription: Subscription): Promise<void> {
  const signal = caughtUpSignals.get(subscription);
  if (signal === null) return Promise.resolve();
  if (signal) return signal.promise;
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  caughtUpSignals.set(subscription, { promise, resolve });
  return promise;
}

/**
 * A task's chunks from a cursor: replay from the stream, then the live tail through the shared reader, ending
 * after `finish`. Iterate it once. Entries come exactly once and in order; a subscriber that falls more than the
 * buffer behind gets an `error` chunk whose `cursor` (also its `id`) is where to resume, and then the end.
 */
export class Subscription implements AsyncIterable<StreamEntry> {
  private lastId: string;
  private reason: SubscriptionEndReason | undefined;
  private started = false;

  constructor(
    /** The task as it was when the subscription was checked. */
    readonly task: ActiveTask,
    cursor: string,
    private readonly context: SubscriptionContext,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.lastId = cursor;
  }

  /** Id of the last entry delivered (the subscriber's resume cursor). */
  get cursor(): string {
    return this.lastId;
  }

  /** Why iteration ended; undefined while it runs. `finish` is the only complete end. */
  get endReason(): SubscriptionEndReason | undefined {
    return this.reason;
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamEntry> {
    if (this.started) throw new InvalidInputError('a subscription can be iterated only once');
    this.started = true;
    return this.iterate();
  }

  private async *range(from: string, to: string): AsyncGenerator<StreamEntry, boolean> {
    const { reads, streamKey, pageSize, factsReadAt } = this.context;
    // A running task may replay from a page read before its checks (the live tail brings what came after); one
    // seen finished needs a page read after them, so that the page holds its finish.
    const notBefore = this.task.status === 'running' ? Number.NEGATIVE_INFINITY : factsReadAt;
    let start = from;
    for (;;) {
      if (this.signal?.aborted) return false;
      // The page may start before `start` (shared with a subscriber further behind): what was seen is skipped.
      const page = await reads.page(streamKey, start, to, pageSize, notBefore);
      const entries = entriesOf(page);
      for (const [i, raw] of page.entries()) {
        start = raw[0];
        const entry = entries[i];
        if (!entry || compareStreamIds(entry.id, this.lastId) <= 0) continue;
        this.lastId = entry.id;
        yield entry;
        if (entry.chunk.type === 'finish') return true;
      }
      if (page.length < pageSize) return false;
    }
  }

  /**
   * The replay from the cursor, traced as `registry.replay` (entries replayed, and whether it reached `finish`).
   * Untraced, it is the range itself: one async generator less for every entry to pass through.
   */
  private replay(): AsyncGenerator<StreamEntry, boolean> {
    const from = this.lastId;
    const span = startRegistrySpan('replay', {
      'chat.task_id': this.task.taskId,
      'chat.registry.cursor': from,
    });
    return span ? this.tracedReplay(span, from) : this.range(from, '+');
  }

  private async *tracedReplay(span: RegistrySpan, from: string): AsyncGenerator<StreamEntry, boolean> {
    let replayed = 0;
    let finished = false;
    try {
      for (const range = this.range(from, '+'); ; ) {
        const step = await range.next();
        if (step.done) {
          finished = step.value;
          return finished;
        }
        replayed++;
        yield step.value;
      }
    } catch (error) {
      span.fail(error);
      throw error;
    } finally {
      span.end({ 'chat.registry.replayed_entries': replayed, 'chat.registry.replay_finished': finished });
    }
  }

  private async *iterate(): AsyncGenerator<StreamEntry> {
    const { reader, streamKey, bufferSize, idleCheckMs } = this.context;
    if (yield* this.replay()) return this.end('finish');
    if (this.signal?.aborted) return this.end('aborted');
    // The task's status was read before the replay: a finished task's finish chunk was already in the stream.
    if (this.task.status !== 'running') return this.end('task_ended');

    const sink = new LiveSink(bufferSize);
    const readerFrom = reader.add(streamKey, sink, this.lastId);
    try {
      // Entries the reader fanned out before this sink joined are read here, once.
      if (compareStreamIds(readerFrom, this.lastId) > 0 && (yield* this.range(this.lastId, readerFrom))) {
        return this.end('finish');
      }
      markCaughtUp(this);
      for (;;) {
        const event = await sink.next(this.signal, idleCheckMs);
        if (event.kind === 'entry') {
          if (compareStreamIds(event.entry.id, this.lastId) <= 0) continue;
          this.lastId = event.entry.id;
          yield event.entry;
          if (event.entry.chunk.type === 'finish') return this.end('finish');
        } else if (event.kind === 'idle') {
          if (await this.taskEnded()) {
            // Whatever the writer added before or with the status change (its finish, if it wrote one).
            if (yield* this.range(this.lastId, '+')) return this.end('finish');
            return this.end('task_ended');
          }
        } else if (event.kind === 'overflow') {
          this.end('overflow');
          yield {
            id: this.lastId,
            chunk: {
              type: 'error',
              errorText: `subscriber fell behind; resume from cursor ${this.lastId}`,
              code: 'subscriber_overflow',
              cursor: this.lastId,
            },
          };
          return;
        } else {
          return this.end(event.kind);
        }
      }
    } finally {
      reader.remove(streamKey, sink);
      sink.dispose();
    }
  }

  /**
   * A live tail must not wait forever on a task that will write nothing more: one whose hash expired (thrown as
   * `task_expired`), or whose status is final without a `finish` chunk (true). The Python original writes its
   * `finish` in a separate, best-effort step after the status, so a crash in between leaves exactly that.
   */
  private async taskEnded(): Promise<boolean> {
    const status = await this.context.redis.hget(this.context.metaKey, 'status');
    if (status === null) {
      throw new TaskExpiredError(`task ${this.task.taskId} expired while subscribed`, {
        taskId: this.task.taskId,
        cursor: this.lastId,
      });
    }
    // Only a final status: a task in any other state may still be writing.
    return status === 'completed' || status === 'failed';
  }

  private end(reason: SubscriptionEndReason): void {
    this.reason = reason;
    markCaughtUp(this);
  }
}

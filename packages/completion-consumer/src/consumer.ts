import { setMaxListeners } from 'node:events';
import type { Logger } from '@chat/completion-schema';
import { childLogger } from '@chat/completion-schema/internal';
import { loadOtelApi, sleep } from '@chat/redis-kit';
import { Redis, ReplyError } from 'ioredis';
import { AckBatcher } from './ack-batcher.js';
import { backoffDelay } from './backoff.js';
import { Claimer, type Lease } from './claimer.js';
import { type ConsumerEvents, type ConsumerState, type EntrySource, TypedEmitter } from './events.js';
import { deleteIdleConsumers } from './idle-consumers.js';
import { ConsumerMetrics, type ConsumerMetricsSnapshot, readGroupFacts } from './metrics.js';
import { type ConsumerOptions, type ResolvedConsumerOptions, resolveConsumerOptions } from './options.js';
import { Outcomes } from './outcomes.js';
import { type EntryProcessorHost, processEntry } from './process-entry.js';
import { isBusyGroupError, isNoGroupError } from './redis-errors.js';
import type { RedisClient } from './scripts.js';
import { type DeliveredEntry, deferEntry, type GroupRef, readOwnPending } from './stream-entries.js';
import { StreamReader } from './stream-reader.js';
import { TrimmedUnreadDetector } from './trimmed-unread.js';

interface Running extends Lease {
  entry: DeliveredEntry;
  leaseAt: number;
  done: Promise<void>;
}

/** An entry read ahead ({@link ConsumerOptions.prefetch}): already pending under this consumer, not started. */
interface Queued extends Lease {
  entry: DeliveredEntry;
  source: EntrySource;
  leaseAt: number;
}

/**
 * A consumer-group engine for one completion stream: reads with backpressure, acks in batches, claims from dead
 * consumers, retries with backoff, dead-letters poison and malformed entries atomically, renews leases of long
 * handlers, survives connection loss and a lost group, and drains on close. Delivery is at-least-once.
 */
export class CompletionConsumer extends TypedEmitter<ConsumerEvents> {
  /** Options after defaults. */
  readonly options: ResolvedConsumerOptions;
  /** Logger bound to this consumer's stream, group and name. */
  readonly logger: Logger;
  private readonly redis: RedisClient;
  private readonly ownsRedis: boolean;
  private readonly ref: GroupRef;
  private readonly reader: StreamReader;
  private readonly acks: AckBatcher;
  private readonly stats = new ConsumerMetrics();
  private readonly running = new Map<string, Running>();
  /** Read ahead, waiting for a slot; a Map keeps insertion (stream) order. */
  private readonly queued = new Map<string, Queued>();
  private readonly claimer: Claimer;
  private readonly processor: EntryProcessorHost;
  private readonly outcomes: Outcomes;
  private readonly trimmedUnread: TrimmedUnreadDetector;
  private readonly stopping = new AbortController();
  /**
   * Aborted at the shutdown deadline, for every handler at once. One controller for all rather than one per
   * message: creating an AbortController was 15 % of the consumer's CPU in the benchmark.
   */
  private readonly deadline = new AbortController();
  private currentState: ConsumerState = 'starting';
  private startPromise: Promise<void> | undefined;
  private closePromise: Promise<void> | undefined;
  private readLoop: Promise<void> | undefined;
  private recreating: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private renewTimer: NodeJS.Timeout | undefined;
  private slotWaiters: (() => void)[] = [];

  constructor(options: ConsumerOptions) {
    super();
    // Every in-flight handler may listen on the shared deadline signal (fetch, timers): no leak warning for that.
    setMaxListeners(0, this.deadline.signal);
    this.options = resolveConsumerOptions(options);
    const o = this.options;
    this.ownsRedis = !o.redis;
    this.redis =
      o.redis ??
      new Redis(o.url as string, {
        retryStrategy: (times) => backoffDelay(times, o.reconnectBackoff),
        maxRetriesPerRequest: 3,
      });
    if (this.ownsRedis) this.redis.on('error', (error: unknown) => this.logger.debug({ err: error }));
    this.logger = childLogger(o.logger, { stream: o.stream, group: o.group, consumer: o.consumer });
    this.ref = { stream: o.stream, group: o.group, consumer: o.consumer };
    this.reader = new StreamReader(this.redis, this.ref, o.blockMs, this.logger);
    this.acks = new AckBatcher(
      this.redis,
      o.stream,
      o.group,
      o.ackFlushMs,
      o.reconnectBackoff,
      this.logger,
      (e) => this.report(e, 'acknowledgement failed; will retry'),
    );
    this.outcomes = new Outcomes({
      redis: this.redis,
      options: o,
      logger: this.logger,
      stats: this.stats,
      acks: this.acks,
      emit: (event, ...args) => this.emit(event, ...args),
      listening: (event) => this.listenerCount(event) > 0,
      report: (error, message) => this.report(error, message),
    });
    this.trimmedUnread = new TrimmedUnreadDetector(this.redis, o.stream, o.group);
    this.claimer = new Claimer({
      redis: this.redis,
      ref: this.ref,
      options: o,
      stopSignal: this.stopping.signal,
      outcomes: this.outcomes,
      running: this.running,
      queued: this.queued,
      dropQueued: (ids) => {
        for (const id of ids) this.queued.delete(id);
      },
      dispatch: (entry, source) => this.dispatch(entry, source),
      recreateGroup: () => this.recreateGroup(),
      report: (error, message) => this.report(error, message),
    });
    this.processor = { options: o, logger: this.logger, outcomes: this.outcomes, retries: this.claimer };
  }

  /** Current lifecycle state; `ready` means reading normally, `degraded` means retrying after an error. */
  get state(): ConsumerState {
    return this.currentState;
  }

  /**
   * Creates the group (at `0`, MKSTREAM) if missing, re-reads this consumer's own pending entries, and starts
   * reading; resolves once reading has begun. Transient Redis errors are retried; a reply error (for example a
   * key of the wrong type) rejects.
   */
  start(): Promise<void> {
    this.startPromise ??= this.begin();
    return this.startPromise;
  }

  private async begin(): Promise<void> {
    // The optional OpenTelemetry API, loaded before the first delivery so each one asks for it synchronously.
    await loadOtelApi();
    for (let attempt = 1; ; attempt++) {
      if (this.stopping.signal.aborted) return;
      try {
        await this.createGroup();
        break;
      } catch (error) {
        if (error instanceof ReplyError) throw error;
        this.report(error, 'could not create the consumer group; retrying');
        await sleep(backoffDelay(attempt, this.options.reconnectBackoff), this.stopping.signal);
      }
    }
    if (this.stopping.signal.aborted) return;
    this.redis.on('ready', this.onReconnected);
    // Before the first read: once the group reads past a gap, its position no longer shows it.
    await this.checkTrimmedUnread();
    this.setState('ready');
    this.readLoop = this.loop();
    const o = this.options;
    this.every(o.claimIntervalMs, () => this.claimer.tick());
    this.every(o.claimIntervalMs, () => this.checkTrimmedUnread());
    this.renewTimer = setInterval(() => void this.claimer.renewLeases(), Math.max(10, o.claimIdleMs / 4));
    this.renewTimer.unref?.();
    if (o.consumerTimeoutMs > 0)
      this.every(Math.max(1_000, Math.min(o.consumerTimeoutMs / 2, 60_000)), () => this.idleConsumerTick());
  }

  /**
   * How long claims wait after Redis was unreachable: the owners of pending entries need `claimIdleMs` after they
   * are back to renew their leases, and they may come back up to two reconnect delays later than this consumer
   * (ioredis's own reconnect, then our read backoff).
   */
  private get outageClaimHoldMs(): number {
    return this.options.claimIdleMs + 2 * this.options.reconnectBackoff.maxMs;
  }

  /**
   * Back from an outage (a read error, or the connection re-established behind a re-sent command): renew every
   * lease at once and hold claims, so no consumer's live work is taken from it and charged a delivery.
   */
  private readonly onReconnected = (): void => {
    if (this.stopping.signal.aborted) return;
    this.claimer.holdClaims(this.outageClaimHoldMs);
    void this.claimer.renewLeases(true);
  };

  private every(ms: number, fn: () => Promise<void>): void {
    const timer = setInterval(() => void fn(), ms);
    timer.unref?.();
    this.timers.push(timer);
  }

  private async createGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.options.stream, this.options.group, '0', 'MKSTREAM');
    } catch (error) {
      if (!isBusyGroupError(error)) throw error;
    }
  }

  /** Recreates the group after NOGROUP, once however many loops notice at the same time. */
  private recreateGroup(): Promise<void> {
    this.recreating ??= (async () => {
      await this.createGroup();
      this.claimer.resetCursor();
      this.stats.counters.groupRecreated++;
      this.logger.warn('consumer group was missing (stream deleted or Redis restarted empty); recreated it');
      this.emit('groupRecreated', { stream: this.options.stream, group: this.options.group });
    })().finally(() => {
      this.recreating = undefined;
    });
    return this.recreating;
  }

  /**
   * How many entries the next read may fetch: free slots plus the prefetch room, but nothing while the queue is
   * still over half full (topping it up entry by entry would cost one read per message again).
   */
  private get readRoom(): number {
    const { concurrency, prefetch } = this.options;
    if (this.queued.size > prefetch / 2) return 0;
    return concurrency + prefetch - this.running.size - this.queued.size;
  }

  private async loop(): Promise<void> {
    let ownCursor: string | null = '0';
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      const free = this.readRoom;
      if (free <= 0) {
        await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
        continue;
      }
      try {
        if (ownCursor !== null) {
          const own = await readOwnPending(this.redis, this.ref, ownCursor, free, this.held());
          this.outcomes.markLost(own.deleted);
          ownCursor = own.last;
          for (const entry of own.entries) this.dispatch(entry, 'own-pending');
        } else {
          const entries = await this.reader.read(free);
          for (const entry of entries) this.dispatch(entry, 'new');
        }
        failures = 0;
        if (this.currentState === 'degraded') {
          this.onReconnected();
          this.setState('ready');
        }
      } catch (error) {
        if (this.stopping.signal.aborted) break;
        if (isNoGroupError(error)) {
          ownCursor = null;
          await this.recreateGroup().catch((e) => this.report(e, 'could not recreate the consumer group'));
          continue;
        }
        failures++;
        // Back from an outage, re-read our own pending list first: it is a non-blocking call, so the consumer is
        // `ready` again as soon as Redis answers (not after a full BLOCK), and it picks up what it owns but no
        // longer holds (for example entries a lost XREADGROUP reply delivered). What it still holds is skipped.
        ownCursor = '0';
        this.setState('degraded');
        this.report(error, 'read failed; retrying');
        await sleep(backoffDelay(failures, this.options.reconnectBackoff), this.stopping.signal);
      }
    }
  }

  /**
   * Ids of the entries this process holds: handler running, retry scheduled, ack not yet sent. A recovery read
   * must skip them: re-delivering one would charge it a delivery (and, for a retry, skip its backoff).
   */
  private held(): string[] {
    return [...this.running.keys(), ...this.queued.keys(), ...this.claimer.scheduled(), ...this.acks.ids()];
  }

  /** Starts a handler for `entry`, or queues it (in order) when every slot is busy. */
  private dispatch(entry: DeliveredEntry, source: EntrySource): void {
    if (this.running.has(entry.id) || this.queued.has(entry.id)) return;
    this.claimer.cancelRetry(entry.id);
    if (this.running.size >= this.options.concurrency || this.queued.size > 0) {
      this.queued.set(entry.id, { id: entry.id, entry, source, leaseAt: Date.now() });
      return;
    }
    this.run(entry, source);
  }

  private run(entry: DeliveredEntry, source: EntrySource): void {
    const run: Running = { id: entry.id, entry, leaseAt: Date.now(), done: Promise.resolve() };
    this.running.set(entry.id, run);
    this.logger.debug({ entryId: entry.id, deliveryCount: entry.deliveryCount, source }, 'dispatch');
    run.done = processEntry(this.processor, entry, this.deadline.signal)
      .catch((error) => this.report(error, 'unexpected error processing an entry'))
      .finally(() => {
        this.running.delete(entry.id);
        this.startQueued();
        const waiters = this.slotWaiters.splice(0);
        for (const wake of waiters) wake();
      });
  }

  /** Starts queued entries while slots are free; none once stopping (they are released by close()). */
  private startQueued(): void {
    if (this.stopping.signal.aborted) return;
    for (const [id, queued] of this.queued) {
      if (this.running.size >= this.options.concurrency) return;
      this.queued.delete(id);
      this.run(queued.entry, queued.source);
    }
  }

  /**
   * Hands entries read ahead but never started back to the group: their idle time is set to `claimIdleMs`, so any
   * consumer's next claim walk takes them at once (no delivery is charged; a restart under this name re-reads
   * them as its own). One call per entry, sent together.
   */
  private async releaseQueued(): Promise<void> {
    const ids = [...this.queued.keys()];
    this.queued.clear();
    if (ids.length === 0) return;
    const idle = this.options.claimIdleMs;
    const released = await Promise.allSettled(ids.map((id) => deferEntry(this.redis, this.ref, id, idle)));
    const failed = released.filter((r) => r.status === 'rejected').length;
    if (failed > 0)
      this.logger.warn({ failed }, 'could not release read-ahead entries; claimable after claimIdleMs');
    else this.logger.debug({ released: ids.length }, 'released read-ahead entries');
  }

  /** Counts, logs and emits entries trimmed before the group read them (one script call). */
  private async checkTrimmedUnread(): Promise<void> {
    try {
      const found = await this.trimmedUnread.check();
      if (!found) return;
      if (found.count === null) this.stats.counters.trimmedUnreadUncounted++;
      else this.stats.counters.trimmedUnread += found.count;
      this.logger.error(
        found,
        found.count === null
          ? 'entries may have been trimmed from the stream before the group read them (the server cannot count them)'
          : `${found.count} entries were trimmed from the stream before the group read them: lost`,
      );
      this.emit('trimmedUnread', found);
    } catch (error) {
      this.report(error, 'checking for entries trimmed unread failed');
    }
  }

  private async idleConsumerTick(): Promise<void> {
    try {
      const deleted = await deleteIdleConsumers(this.redis, {
        stream: this.options.stream,
        group: this.options.group,
        idleMs: this.options.consumerTimeoutMs,
        keep: [this.options.consumer],
      });
      if (deleted.length) this.logger.info({ consumers: deleted }, 'deleted idle consumers');
    } catch (error) {
      this.report(error, 'idle consumer cleanup failed');
    }
  }

  private setState(next: ConsumerState): void {
    const previous = this.currentState;
    if (previous === next || previous === 'closed') return;
    if (previous === 'closing' && next !== 'closed') return;
    this.currentState = next;
    this.logger.info({ state: next, previous }, 'consumer state');
    this.emit('state', next, previous);
  }

  private report(error: unknown, message: string): void {
    this.stats.counters.errors++;
    this.logger.error({ err: error }, message);
    // An 'error' event without listeners would throw; a library must not crash its host on a recoverable error.
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  /** A snapshot of counters, in-flight work, group pending/lag and latency histograms (one round trip). */
  async metrics(): Promise<ConsumerMetricsSnapshot> {
    const facts = await readGroupFacts(this.redis, this.options.stream, this.options.group);
    return {
      stream: this.options.stream,
      group: this.options.group,
      consumer: this.options.consumer,
      state: this.currentState,
      counters: {
        ...this.stats.counters,
        acked: this.acks.acked,
        deadLettered: { ...this.stats.counters.deadLettered },
      },
      inFlight: this.running.size,
      prefetched: this.queued.size,
      ackQueue: this.acks.size,
      ...facts,
      handlerDurationMs: this.stats.handlerDuration.snapshot(),
      endToEndLatencyMs: this.stats.endToEnd.snapshot(),
    };
  }

  /**
   * Stops reading, waits up to `shutdownTimeoutMs` for running handlers, then aborts their signals (what did not
   * finish stays pending, to be resumed or claimed), flushes acknowledgements until none is left (those queued
   * during the flush included; at the deadline, at least 1 s for this step, what is left is logged as an error)
   * and closes our connections. Idempotent: every call returns the same promise.
   */
  close(): Promise<void> {
    this.closePromise ??= this.shutdown();
    return this.closePromise;
  }

  private async shutdown(): Promise<void> {
    const started = Date.now();
    this.setState('closing');
    this.stopping.abort();
    // Lease renewal keeps running while handlers drain, so a long drain does not hand live work to others.
    for (const timer of this.timers) clearInterval(timer);
    this.claimer.stop();
    for (const wake of this.slotWaiters.splice(0)) wake();
    // Bounded like every step that talks to Redis here: on a frozen server (or one that holds writes) the unblock
    // would queue behind a command that never returns.
    await within(this.reader.interrupt(), REDIS_STEP_MS);
    // Bounded: a read stuck on a dead connection is cut by the reader's watchdog at the latest.
    await within(
      this.readLoop?.catch(() => {}),
      this.reader.maxReadMs + 1_000,
    );
    await within(this.releaseQueued(), REDIS_STEP_MS);
    const settled = () => Promise.allSettled([...this.running.values()].map((r) => r.done));
    const deadline = this.options.shutdownTimeoutMs;
    if (this.running.size) await within(settled(), deadline);
    if (this.running.size) {
      this.logger.warn(
        { entryIds: [...this.running.keys()] },
        'shutdown deadline reached; aborting handlers',
      );
      this.deadline.abort(new Error('consumer shutdown deadline'));
      // Give aborted handlers a moment to unwind so their outcome is recorded; the rest stay pending.
      await within(settled(), Math.min(1_000, Math.max(50, deadline)));
    }
    clearInterval(this.renewTimer);
    this.redis.off('ready', this.onReconnected);
    // Every ack, including those queued while the final flush runs, until the deadline (never less than a floor,
    // so a drain that used the whole deadline still gets its acks out).
    const left = this.options.shutdownTimeoutMs - (Date.now() - started);
    await this.acks.drain(Math.max(left, MIN_ACK_DRAIN_MS));
    this.reader.close();
    if (this.ownsRedis) {
      await within(
        this.redis.quit().catch(() => {}),
        REDIS_STEP_MS,
      );
      this.redis.disconnect();
    }
    this.setState('closed');
  }
}

/** Longest `close()` waits for one Redis call of its own (unblocking the reader, QUIT) before moving on. */
const REDIS_STEP_MS = 1_000;

/** Least time `close()` gives the final ack flush, even when running handlers used up the shutdown deadline. */
const MIN_ACK_DRAIN_MS = 1_000;

/** Waits for `work` at most `ms`, clearing the timer either way so a closed consumer keeps no process alive. */
async function within(work: Promise<unknown> | undefined, ms: number): Promise<void> {
  const done = new AbortController();
  try {
    await Promise.race([work, sleep(ms, done.signal)]);
  } finally {
    done.abort();
  }
}

/** Creates a {@link CompletionConsumer}; call `start()` on it. */
export function createConsumer(options: ConsumerOptions): CompletionConsumer {
  return new CompletionConsumer(options);
}

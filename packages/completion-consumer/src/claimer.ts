import type { EntrySource } from './events.js';
import type { ResolvedConsumerOptions } from './options.js';
import type { Outcomes } from './outcomes.js';
import { isNoGroupError } from './redis-errors.js';
import type { RedisClient } from './scripts.js';
import {
  autoclaimStep,
  claimEntries,
  type DeliveredEntry,
  deferEntry,
  type GroupRef,
  renewLeases,
} from './stream-entries.js';

/** Most entries one XAUTOCLAIM step claims; more would let one step hog the server. */
const MAX_CLAIM_COUNT = 100;

/** A running handler's lease: when its entry's idle time was last reset. */
export interface Lease {
  readonly id: string;
  leaseAt: number;
}

/** What the {@link Claimer} works with: its consumer's collaborators, and the three things only the consumer does. */
export interface ClaimerHost {
  readonly redis: RedisClient;
  readonly ref: GroupRef;
  readonly options: ResolvedConsumerOptions;
  readonly stopSignal: AbortSignal;
  /** Where claims, scheduled retries, lost leases and entries deleted unread are recorded. */
  readonly outcomes: Pick<Outcomes, 'claimed' | 'retryScheduled' | 'leaseLost' | 'markLost'>;
  /** The consumer's running handlers by entry id: what is busy, the free slots, the leases to renew. */
  readonly running: ReadonlyMap<string, Lease>;
  /** Entries read ahead and not started: they take slots and their leases are renewed too. */
  readonly queued: ReadonlyMap<string, Lease>;
  /** Forgets read-ahead entries another consumer has taken (never started here). */
  dropQueued(ids: readonly string[]): void;
  /** Starts a handler for a claimed entry. */
  dispatch(entry: DeliveredEntry, source: EntrySource): void;
  recreateGroup(): Promise<void>;
  report(error: unknown, message: string): void;
}

/**
 * Everything that moves pending entries between consumers: the XAUTOCLAIM cursor walk, retries after backoff,
 * and lease renewal of long-running handlers.
 */
export class Claimer {
  private cursor = '0-0';
  private walking = false;
  private holdUntil = 0;
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly host: ClaimerHost) {}

  /**
   * Claims nothing for `ms` (extends a hold already running). Used after Redis was unreachable: every pending
   * entry then looks idle, also those whose owners are alive and only waiting to reconnect and renew their
   * leases, and claiming them would charge each a delivery for nothing.
   */
  holdClaims(ms: number): void {
    this.holdUntil = Math.max(this.holdUntil, Date.now() + ms);
  }

  /** Restarts the walk from the beginning (after the group was recreated). */
  resetCursor(): void {
    this.cursor = '0-0';
  }

  /** Ids of entries waiting for their retry here (backoff running, or being claimed back for the retry). */
  scheduled(): IterableIterator<string> {
    return this.retryTimers.keys();
  }

  /** Forgets a local retry timer: the entry came back another way. */
  cancelRetry(id: string): void {
    const timer = this.retryTimers.get(id);
    if (timer) clearTimeout(timer);
    this.retryTimers.delete(id);
  }

  private get freeSlots(): number {
    return this.host.options.concurrency - this.host.running.size - this.host.queued.size;
  }

  private holds(id: string): boolean {
    return this.host.running.has(id) || this.host.queued.has(id);
  }

  /** Stops every local retry timer (close); the entries stay pending for any claim loop. */
  stop(): void {
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
  }

  /**
   * One claim tick: follow the XAUTOCLAIM cursor until it wraps to 0-0 (a full walk); when the free slots run
   * out first, keep the cursor so the next tick resumes there instead of rescanning the head of the list.
   */
  async tick(): Promise<void> {
    const host = this.host;
    if (this.walking || host.stopSignal.aborted || Date.now() < this.holdUntil) return;
    this.walking = true;
    try {
      // Only while connected: a claim queued during an outage would run the moment Redis is back, before the owners
      // of the entries it takes could renew their leases.
      while (this.freeSlots > 0 && !host.stopSignal.aborted && host.redis.status === 'ready') {
        const count = Math.min(this.freeSlots, MAX_CLAIM_COUNT);
        const step = await autoclaimStep(host.redis, host.ref, host.options.claimIdleMs, this.cursor, count);
        this.cursor = step.next;
        host.outcomes.markLost(step.deleted);
        const fresh = step.entries.filter((e) => !this.holds(e.id));
        if (fresh.length) {
          host.outcomes.claimed(fresh.map((e) => e.id));
          for (const entry of fresh) host.dispatch(entry, 'claimed');
        }
        if (step.next === '0-0') break;
      }
    } catch (error) {
      this.cursor = '0-0';
      if (isNoGroupError(error))
        await host.recreateGroup().catch((e) => host.report(e, 'could not recreate the consumer group'));
      else host.report(error, 'claim step failed; retrying next tick');
    } finally {
      this.walking = false;
    }
  }

  /**
   * Schedules a failed entry's retry after `delayMs` (at most `claimIdleMs`): its idle time is set so it becomes
   * claimable exactly then (any consumer's walk takes it, so the retry survives this process), and a local timer
   * makes this consumer take it on time.
   */
  async retryLater(entry: DeliveredEntry, delayMs: number): Promise<void> {
    const host = this.host;
    const { claimIdleMs } = host.options;
    const effective = Math.min(delayMs, claimIdleMs);
    try {
      if (!(await deferEntry(host.redis, host.ref, entry.id, claimIdleMs - effective))) return;
    } catch (error) {
      host.report(error, `could not schedule the retry of ${entry.id}; it is retried after claimIdleMs`);
      return;
    }
    host.outcomes.retryScheduled(entry, effective);
    if (host.stopSignal.aborted) return;
    const timer = setTimeout(() => void this.retryNow(entry.id), effective + 5);
    timer.unref?.();
    this.retryTimers.set(entry.id, timer);
  }

  private async retryNow(id: string): Promise<void> {
    const host = this.host;
    const fired = this.retryTimers.get(id);
    if (host.stopSignal.aborted || this.freeSlots <= 0 || this.holds(id)) {
      this.retryTimers.delete(id);
      return;
    }
    try {
      // Claims only if still idle past claimIdleMs, so if another consumer took it first nothing happens.
      const { entries, deleted } = await claimEntries(host.redis, host.ref, host.options.claimIdleMs, [id]);
      host.outcomes.markLost(deleted);
      for (const entry of entries) host.dispatch(entry, 'retry');
    } catch (error) {
      host.report(error, `could not claim ${id} for its retry; the claim loop will`);
    } finally {
      // Listed as scheduled until here, so a recovery read meanwhile does not deliver it a second time.
      if (this.retryTimers.get(id) === fired) this.retryTimers.delete(id);
    }
  }

  /**
   * Renews the leases of handlers running (or entries queued) longer than `claimIdleMs / 2`, or of all of them
   * with `all` (back from an outage, when every lease may have lapsed); one script call for all of them.
   */
  async renewLeases(all = false): Promise<void> {
    const host = this.host;
    const now = Date.now();
    const due = [...host.running.values(), ...host.queued.values()].filter(
      (l) => all || now - l.leaseAt >= host.options.claimIdleMs / 2,
    );
    if (due.length === 0) return;
    for (const lease of due) lease.leaseAt = now;
    try {
      const lost = await renewLeases(
        host.redis,
        host.ref,
        due.map((l) => l.id),
      );
      if (lost.length) {
        host.dropQueued(lost);
        host.outcomes.leaseLost(lost);
      }
    } catch (error) {
      // Retry on the next tick rather than waiting another half window.
      for (const lease of due) lease.leaseAt = 0;
      host.report(error, 'lease renewal failed; retrying');
    }
  }
}

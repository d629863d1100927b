import type { Logger } from '@chat/completion-schema';
import type { Redis } from 'ioredis';
import { runScript } from './scripts.js';
import type { TaskKeys } from './task-keys.js';
import { parseTaskTimestamp } from './task-timestamp.js';

/** What a {@link ForeignTaskSweep} needs from its registry. */
export interface ForeignTaskSweepContext {
  redis: Redis;
  keys: TaskKeys;
  /** SCAN pattern of every task hash, e.g. `chat:task:meta:*`. */
  metaPattern: string;
  /** Least time between the starts of two sweeps. */
  intervalMs: number;
  ttlSeconds: number;
  logger: Logger;
}

/** Keys per SCAN call (and task hashes per pipelined read). */
const SCAN_COUNT = 1000;

/**
 * Puts running tasks that are in no session index — the ones the Python original's chat API created, which
 * writes none — into the index `getActiveTaskForSession` reads. It SCANs every task hash, so it runs only when a
 * lookup missed in the index, at most once per `intervalMs`, and every lookup that misses while a sweep is under
 * way waits for that one: a lookup that hits the index (every task this registry created) never SCANs.
 */
export class ForeignTaskSweep {
  private running: Promise<void> | undefined;
  private lastStart = Number.NEGATIVE_INFINITY;

  constructor(private readonly context: ForeignTaskSweepContext) {}

  /**
   * Sweeps if one is due, or joins the one under way; resolves true when the index may have changed since the
   * caller read it (so it reads again), false when no sweep ran.
   */
  async sweepIfDue(): Promise<boolean> {
    if (this.running) {
      await this.running;
      return true;
    }
    if (Date.now() - this.lastStart < this.context.intervalMs) return false;
    this.lastStart = Date.now();
    this.running = this.sweep().finally(() => {
      this.running = undefined;
    });
    await this.running;
    return true;
  }

  private async sweep(): Promise<void> {
    const { redis, keys, metaPattern, ttlSeconds } = this.context;
    let cursor = '0';
    let indexed = 0;
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', metaPattern, 'COUNT', SCAN_COUNT);
      cursor = next;
      if (found.length === 0) continue;
      const reads = redis.pipeline();
      for (const key of found) reads.hmget(key, 'task_id', 'session_id', 'status', 'created_at');
      const rows = (await reads.exec()) ?? [];
      const now = Date.now();
      const cutoff = now - ttlSeconds * 1000;
      const writes: Promise<unknown>[] = [];
      for (const [error, row] of rows) {
        if (error) continue;
        const [taskId, sessionId, status, createdAt] = row as (string | null)[];
        // The original's get_task reads a hash without a status as running.
        if (!taskId || !sessionId || (status !== null && status !== 'running')) continue;
        const score = parseTaskTimestamp(createdAt) ?? now;
        writes.push(
          runScript(redis, 'index-session-1', [keys.session(sessionId)], [taskId, score, cutoff, ttlSeconds]),
        );
        indexed += 1;
      }
      await Promise.all(writes);
    } while (cursor !== '0');
    this.context.logger.debug({ indexed }, 'stream-registry: swept task hashes into session indexes');
  }
}

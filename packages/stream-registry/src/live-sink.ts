import type { StreamEntry } from './stream-entry.js';

function wakeIdle(sink: LiveSink): void {
  sink.wake({ kind: 'idle' });
}

/** What a subscriber's wait returns. */
export type SinkEvent =
  | { kind: 'entry'; entry: StreamEntry }
  | { kind: 'overflow' }
  | { kind: 'aborted' }
  | { kind: 'idle' }
  | { kind: 'closed' };

/**
 * A subscriber's bounded buffer fed by the shared reader. On overflow it stops accepting (the reader drops it),
 * so a slow browser costs at most `capacity` entries of memory and learns where to resume.
 */
export class LiveSink {
  private readonly buffer: StreamEntry[] = [];
  private waiter: ((event: SinkEvent) => void) | undefined;
  private overflowed = false;
  private closed = false;
  // One idle timer and one abort listener per sink, re-armed for each wait instead of made anew for every entry
  // (a fan-out to thousands of subscribers made and cleared a timer and a listener per subscriber and chunk).
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private idleMs = 0;
  private signal: AbortSignal | undefined;

  constructor(private readonly capacity: number) {}

  /** Called by the reader; false once the buffer overflowed (the reader then removes this sink). */
  push(entry: StreamEntry): boolean {
    if (this.overflowed || this.closed) return false;
    const waiter = this.waiter;
    if (waiter && this.buffer.length === 0) {
      this.waiter = undefined;
      waiter({ kind: 'entry', entry });
      return true;
    }
    if (this.buffer.length >= this.capacity) {
      this.overflowed = true;
      this.wake({ kind: 'overflow' });
      return false;
    }
    this.buffer.push(entry);
    return true;
  }

  /** Ends every pending and future wait with `closed` (registry shutting down). */
  close(): void {
    this.closed = true;
    this.wake({ kind: 'closed' });
  }

  /** Next buffered entry; after an overflow, the buffered entries first and then `overflow`. */
  next(signal: AbortSignal | undefined, idleMs: number): Promise<SinkEvent> {
    const entry = this.buffer.shift();
    if (entry) return Promise.resolve({ kind: 'entry', entry });
    if (this.overflowed) return Promise.resolve({ kind: 'overflow' });
    if (this.closed) return Promise.resolve({ kind: 'closed' });
    if (signal?.aborted) return Promise.resolve({ kind: 'aborted' });
    if (signal !== this.signal) {
      // The sink itself listens (its handleEvent), and the timer calls a shared function with it: no closures kept
      // per subscriber.
      this.signal?.removeEventListener('abort', this);
      signal?.addEventListener('abort', this);
      this.signal = signal;
    }
    if (this.idleTimer && this.idleMs === idleMs) this.idleTimer.refresh();
    else {
      clearTimeout(this.idleTimer);
      this.idleMs = idleMs;
      this.idleTimer = setTimeout(wakeIdle, idleMs, this);
    }
    return new Promise<SinkEvent>((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Stops the idle timer and leaves the signal; the subscription calls it when it is done with the sink. */
  dispose(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.signal?.removeEventListener('abort', this);
    this.signal = undefined;
  }

  /** The abort listener (an EventListener object, so no closure is kept per sink). */
  handleEvent(): void {
    this.wake({ kind: 'aborted' });
  }

  /** Ends the wait in progress, if any, with `event`. */
  wake(event: SinkEvent): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.(event);
  }
}

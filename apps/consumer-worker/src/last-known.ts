/** What {@link LastKnown.read} returns: the newest value there is, and whether it came in within the deadline. */
export interface LastKnownReading<T> {
  /** The newest value any read produced; undefined until one succeeded. */
  value: T | undefined;
  /** True when a read finished successfully within this call's deadline. */
  fresh: boolean;
  /** When `value` was read (ms since the epoch); undefined until one succeeded. */
  at: number | undefined;
  /** Why the newest read failed, when it did. */
  error?: string;
}

/**
 * A value read from Redis that callers may only wait for up to a deadline, such as a scrape's Redis-side
 * metrics: a caller gets a fresh value when the read finishes in time, else the last known one marked stale.
 * At most one read is outstanding, so a Redis that is down or frozen (commands queue until it answers) never
 * piles up one round trip per caller; a read that outlives its deadline still updates the value when it ends.
 */
export class LastKnown<T> {
  private outstanding: Promise<void> | undefined;
  private last: { value: T; at: number } | undefined;
  private lastError: string | undefined;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly deadlineMs: number,
  ) {}

  /** Starts a read unless one is under way, and waits for it up to the deadline. Never rejects. */
  async read(): Promise<LastKnownReading<T>> {
    this.outstanding ??= this.load()
      .then(
        (value) => {
          this.last = { value, at: Date.now() };
          this.lastError = undefined;
        },
        (error: unknown) => {
          this.lastError = error instanceof Error ? error.message : String(error);
        },
      )
      .finally(() => {
        this.outstanding = undefined;
      });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no answer within ${this.deadlineMs} ms`), this.deadlineMs);
    });
    const error = await Promise.race([this.outstanding.then(() => this.lastError), late]).finally(() =>
      clearTimeout(timer),
    );
    return {
      value: this.last?.value,
      fresh: error === undefined,
      at: this.last?.at,
      ...(error === undefined ? {} : { error }),
    };
  }
}

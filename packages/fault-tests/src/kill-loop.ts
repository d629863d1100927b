import type { WorkerFleet } from './worker-fleet.js';

/**
 * SIGKILLs a random ready worker of a fleet every `everyMs` (its slot restarts at once under the same name), and
 * can be quiesced around a Redis fault: {@link KillLoop.quiesce} returns only once no kill is in flight and the
 * process in every slot is ready, so the fault hits workers that all run through it and can all be watched.
 */
export class KillLoop {
  private paused = false;
  private stopped = false;
  private inFlight: Promise<unknown> = Promise.resolve();
  private wake: () => void = () => {};
  private readonly done: Promise<void>;

  constructor(
    private readonly fleet: WorkerFleet,
    private readonly everyMs: number,
    private readonly random: () => number,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.done = everyMs > 0 ? this.run() : Promise.resolve();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.everyMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      // Checked and assigned in one synchronous step, so a quiesce() that set `paused` sees every kill begun.
      if (this.stopped || this.paused) continue;
      const kill = this.killOne();
      this.inFlight = kill;
      await kill;
    }
  }

  /** SIGKILLs one random ready worker now and starts its replacement (without waiting for it to be ready). */
  async killOne(): Promise<number> {
    const slot = await this.fleet.killRandom(this.random);
    if (slot >= 0) this.log(`SIGKILL slot ${slot} (kill #${this.fleet.kills})`);
    return slot;
  }

  /**
   * Stops starting kills, waits for the kill in flight, then for every slot's process to report ready.
   * `killFirst` SIGKILLs one more worker once the loop is paused: the worst moment for the fault that follows,
   * so the wait for its replacement is exercised on every run instead of by chance.
   */
  async quiesce(options: { killFirst?: boolean; readyTimeoutMs?: number } = {}): Promise<void> {
    this.paused = true;
    await this.inFlight;
    if (options.killFirst) await this.killOne();
    await this.fleet.waitForAllReady(options.readyTimeoutMs ?? 60_000);
  }

  /** Starts killing again after {@link KillLoop.quiesce}. */
  resume(): void {
    this.paused = false;
  }

  /** Ends the loop (no kill starts after this) and waits for it, including a kill in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.done;
    await this.inFlight;
  }
}

import { fileURLToPath } from 'node:url';
import { spawnWorker, type WorkerLogLine, type WorkerProcess } from '@chat/consumer-worker/test';

/** The built worker entry point with the `poison_tool` hook (`pnpm build` makes it). */
export const POISON_WORKER = fileURLToPath(new URL('../dist/poison-worker.js', import.meta.url));

/** One worker process of a slot, with when it was started and whether it reported ready. */
export interface FleetMember {
  readonly slot: number;
  readonly generation: number;
  readonly process: WorkerProcess;
  ready: boolean;
  /** Resolves once the process logged `consumer-worker ready`; rejects if it exits first or not within 120 s. */
  readonly whenReady: Promise<void>;
}

/**
 * A fixed number of worker slots, each running one real worker process under a stable consumer name
 * (`<prefix>-<slot>`), as a Kubernetes StatefulSet would. Killing a slot and starting it again keeps the name,
 * so the new process resumes the old one's pending entries. Every process ever started stays listed, so the
 * logs of killed workers still count.
 */
export class WorkerFleet {
  readonly members: FleetMember[] = [];
  private readonly current = new Map<number, FleetMember>();
  kills = 0;

  constructor(
    private readonly env: Record<string, string | undefined>,
    readonly size: number,
    private readonly script = POISON_WORKER,
    private readonly namePrefix = 'slot',
  ) {}

  /** Starts every slot and waits until all are ready. */
  async startAll(timeoutMs = 30_000): Promise<void> {
    await Promise.all(
      Array.from({ length: this.size }, (_, slot) => this.spawn(slot).readyPromise(timeoutMs)),
    );
  }

  /** Starts a new process in `slot` (without waiting for it). */
  spawn(slot: number): FleetMember & { readyPromise(timeoutMs?: number): Promise<void> } {
    const process = spawnWorker({ ...this.env, CONSUMER_NAME: `${this.namePrefix}-${slot}` }, this.script);
    const whenReady = process
      .waitForLog((l) => l.msg === 'consumer-worker ready', 120_000)
      .then(() => {
        member.ready = true;
      });
    whenReady.catch(() => {});
    const member: FleetMember = { slot, generation: this.members.length, process, ready: false, whenReady };
    this.members.push(member);
    this.current.set(slot, member);
    return {
      ...member,
      readyPromise: async (timeoutMs = 30_000) => {
        await process.waitForLog((l) => l.msg === 'consumer-worker ready', timeoutMs);
        await whenReady;
      },
    };
  }

  /**
   * Waits until the process in every slot has reported ready and still runs, so a fault injected next hits a
   * fleet whose every member can be watched through it (a replacement still starting would be missed).
   */
  async waitForAllReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const members = this.live();
      const left = deadline - Date.now();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`not every worker slot was ready within ${timeoutMs} ms`)),
          Math.max(0, left),
        );
      });
      try {
        await Promise.race([Promise.all(members.map((m) => m.whenReady)), timeout]);
      } finally {
        clearTimeout(timer);
      }
      // A slot replaced meanwhile (another kill) has a new member to wait for.
      const settled = this.live();
      if (settled.every((m, i) => m === members[i] && m.ready && running(m))) return;
      if (settled.some((m) => m.ready && !running(m)))
        throw new Error(`worker slot ${settled.find((m) => !running(m))?.slot} exited while ready`);
    }
  }

  /** The process now running in each slot. */
  live(): FleetMember[] {
    return [...this.current.values()];
  }

  /** SIGKILLs the process of a random ready slot and starts a replacement at once; returns the slot or -1. */
  async killRandom(random: () => number = Math.random): Promise<number> {
    const candidates = this.live().filter((m) => m.ready && running(m));
    if (candidates.length === 0) return -1;
    const victim = candidates[Math.floor(random() * candidates.length)]!;
    victim.process.child.kill('SIGKILL');
    await victim.process.exited;
    this.kills++;
    this.spawn(victim.slot);
    return victim.slot;
  }

  /** Every log line of every process, past and present. */
  *allLogs(): Generator<WorkerLogLine & { generation: number }> {
    for (const member of this.members)
      for (const line of member.process.logs) yield { ...line, generation: member.generation };
  }

  /** SIGTERMs the live processes; resolves with each one's exit code and how long it took. */
  async terminate(): Promise<{ slot: number; code: number | NodeJS.Signals; ms: number }[]> {
    return Promise.all(
      this.live().map(async (member) => {
        const at = Date.now();
        if (member.process.child.exitCode === null && member.process.child.signalCode === null)
          member.process.child.kill('SIGTERM');
        const code = await member.process.exited;
        return { slot: member.slot, code, ms: Date.now() - at };
      }),
    );
  }

  /** SIGKILLs whatever still runs (cleanup after a failed test). */
  async killAll(): Promise<void> {
    await Promise.all(
      this.members.map(async (m) => {
        if (m.process.child.exitCode === null && m.process.child.signalCode === null) {
          m.process.child.kill('SIGKILL');
          await m.process.exited;
        }
      }),
    );
  }
}

function running(member: FleetMember): boolean {
  return member.process.child.exitCode === null && member.process.child.signalCode === null;
}

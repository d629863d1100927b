/** Sizes of one fault-suite run. */
export interface FaultScale {
  readonly name: 'full' | 'reduced';
  /** Completions the chaos producer publishes. */
  readonly completions: number;
  /** How long the producer spreads them over, so kills and restarts land under load (ms). */
  readonly publishSpanMs: number;
  /** The long Redis outage (ms). */
  readonly outageMs: number;
  /** Bad-input property cases (stream entries). */
  readonly propertyCases: number;
  /** Completions per fsync-policy measurement run. */
  readonly fsyncCompletions: number;
}

/** `FAULT_SCALE=full` (what `pnpm test:faults` runs) or the reduced default of the project's test command. */
export const FAULT_SCALES: Readonly<Record<FaultScale['name'], FaultScale>> = {
  full: {
    name: 'full',
    completions: 20_000,
    publishSpanMs: 60_000,
    outageMs: 30_000,
    propertyCases: 10_000,
    fsyncCompletions: 5_000,
  },
  reduced: {
    name: 'reduced',
    completions: 3_000,
    publishSpanMs: 16_000,
    outageMs: 10_000,
    propertyCases: 2_000,
    fsyncCompletions: 1_000,
  },
};

/** The scale of this run, from `FAULT_SCALE`. */
export function faultScale(env: NodeJS.ProcessEnv = process.env): FaultScale {
  return env.FAULT_SCALE === 'full' ? FAULT_SCALES.full : FAULT_SCALES.reduced;
}

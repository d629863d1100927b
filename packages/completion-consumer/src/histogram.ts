/** A histogram snapshot: cumulative-free bucket counts plus estimated quantiles. */
export interface HistogramSnapshot {
  /** Upper bounds of the buckets, in ms; the last bucket (`+Inf`) is implied. */
  bounds: readonly number[];
  /** Observations per bucket; `counts.length === bounds.length + 1` (the last is above every bound). */
  counts: number[];
  /** Number of observations. */
  count: number;
  /** Sum of observations, in ms. */
  sum: number;
  /** Estimated median, in ms (upper bound of the bucket holding it); 0 when empty. */
  p50: number;
  /** Estimated 99th percentile, in ms; 0 when empty. */
  p99: number;
}

/** Default bucket bounds in ms, from 1 ms to 5 min: covers handler runs and end-to-end latency alike. */
export const DEFAULT_HISTOGRAM_BOUNDS_MS: readonly number[] = [
  1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000,
];

/**
 * A fixed-bucket histogram in ms. Buckets (not samples) keep memory constant and map straight onto Prometheus
 * histograms.
 */
export class Histogram {
  private readonly counts: number[];
  private total = 0;
  private sum = 0;

  constructor(readonly bounds: readonly number[] = DEFAULT_HISTOGRAM_BOUNDS_MS) {
    this.counts = new Array(bounds.length + 1).fill(0);
  }

  /** Records one observation. */
  observe(ms: number): void {
    const value = Math.max(0, ms);
    let i = 0;
    while (i < this.bounds.length && value > (this.bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.total++;
    this.sum += value;
  }

  private quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.ceil(q * this.total);
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return this.bounds[i] ?? Number.POSITIVE_INFINITY;
    }
    return Number.POSITIVE_INFINITY;
  }

  /** A copy of the current state. */
  snapshot(): HistogramSnapshot {
    return {
      bounds: this.bounds,
      counts: [...this.counts],
      count: this.total,
      sum: this.sum,
      p50: this.quantile(0.5),
      p99: this.quantile(0.99),
    };
  }
}

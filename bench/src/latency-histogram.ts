import { build, type Histogram } from 'hdr-histogram-js';
import type { LatencySummary } from './results.js';

/** Upper edges (ms) of the buckets a latency histogram chart shows; the last bucket holds everything above. */
export const BUCKET_EDGES_MS: readonly number[] = [
  0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 20, 50, 100, 250, 1000,
];

/**
 * An HDR histogram of latencies recorded in microseconds (1 µs to 60 s, 3 significant digits), so tail
 * percentiles are exact to 0.1 % without keeping every sample.
 */
export class LatencyHistogram {
  private readonly histogram: Histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });

  private readonly bucketCounts = new Array<number>(BUCKET_EDGES_MS.length + 1).fill(0);

  /** Records one latency given in milliseconds; values beyond the range are clamped, never dropped. */
  recordMs(ms: number): void {
    this.histogram.recordValue(Math.min(60_000_000, Math.max(1, Math.round(ms * 1000))));
    let bucket = 0;
    while (bucket < BUCKET_EDGES_MS.length && ms > BUCKET_EDGES_MS[bucket]!) bucket++;
    this.bucketCounts[bucket]!++;
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** The percentiles the report shows, in milliseconds; with `buckets`, the counts per bucket for a chart too. */
  summary(options: { buckets?: boolean } = {}): LatencySummary {
    const at = (p: number) => this.histogram.getValueAtPercentile(p) / 1000;
    return {
      count: this.histogram.totalCount,
      p50Ms: at(50),
      p90Ms: at(90),
      p99Ms: at(99),
      p999Ms: at(99.9),
      maxMs: this.histogram.maxValue / 1000,
      meanMs: this.histogram.mean / 1000,
      ...(options.buckets
        ? {
            buckets: this.bucketCounts.map((count, i) => ({
              upToMs: BUCKET_EDGES_MS[i] ?? null,
              count,
            })),
          }
        : {}),
    };
  }
}

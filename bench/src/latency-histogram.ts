import { build, type Histogram } from 'hdr-histogram-js';
import type { LatencySummary } from './results.js';

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

  /** Records one latency given in milliseconds; values beyond the range are clamped, never dropped. */
  recordMs(ms: number): void {
    this.histogram.recordValue(Math.min(60_000_000, Math.max(1, Math.round(ms * 1000))));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** The percentiles the report shows, in milliseconds. */
  summary(): LatencySummary {
    const at = (p: number) => this.histogram.getValueAtPercentile(p) / 1000;
    return {
      count: this.histogram.totalCount,
      p50Ms: at(50),
      p90Ms: at(90),
      p99Ms: at(99),
      p999Ms: at(99.9),
      maxMs: this.histogram.maxValue / 1000,
      meanMs: this.histogram.mean / 1000,
    };
  }
}

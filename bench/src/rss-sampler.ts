/** Samples this process's resident set size every `intervalMs`, remembering start, end, peak and a timeline. */
export class RssSampler {
  private readonly timer: NodeJS.Timeout;
  private readonly startedAt = performance.now();
  readonly startBytes = process.memoryUsage.rss();
  maxBytes = this.startBytes;
  lastBytes = this.startBytes;
  readonly timeline: [number, number][] = [];
  /** V8 heap reserved (`heapTotal`) at its largest: tells heap growth from native memory (sockets, buffers). */
  maxHeapTotalBytes = 0;
  private samples = 0;

  constructor(
    private readonly onSample: (rssBytes: number) => void,
    intervalMs = 100,
  ) {
    this.timeline.push([0, toMB(this.startBytes)]);
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  /** Takes one sample now (also called by the timer). */
  sample(): number {
    const rss = process.memoryUsage.rss();
    // The full breakdown walks the heap spaces; once a second is enough to explain a peak.
    if (this.samples++ % 10 === 0)
      this.maxHeapTotalBytes = Math.max(this.maxHeapTotalBytes, process.memoryUsage().heapTotal);
    this.lastBytes = rss;
    if (rss > this.maxBytes) this.maxBytes = rss;
    this.timeline.push([(performance.now() - this.startedAt) / 1000, toMB(rss)]);
    this.onSample(rss);
    return rss;
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }
}

/** Bytes to megabytes (10^6), rounded to 0.1. */
export function toMB(bytes: number): number {
  return Math.round(bytes / 1e5) / 10;
}

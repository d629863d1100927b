/**
 * A one-line progress bar on stderr, redrawn in place when stderr is a terminal; elsewhere (CI logs, pipes) it
 * prints one line when a scenario starts and none while it runs, so logs stay short.
 */
export class ProgressBar {
  private readonly tty = process.stderr.isTTY === true;
  private label = '';
  private startedAt = 0;
  private lastDraw = 0;

  begin(label: string): void {
    this.label = label;
    this.startedAt = performance.now();
    if (!this.tty) process.stderr.write(`${label} …\n`);
    else this.draw(0, 0, 0);
  }

  update(done: number, total: number, rssBytes: number): void {
    if (!this.tty) return;
    const now = performance.now();
    if (now - this.lastDraw < 100 && done < total) return;
    this.lastDraw = now;
    this.draw(done, total, rssBytes);
  }

  end(summary: string): void {
    if (this.tty) process.stderr.write('\r\x1b[2K');
    const seconds = ((performance.now() - this.startedAt) / 1000).toFixed(1);
    process.stderr.write(`${this.label}: ${summary} (${seconds} s)\n`);
  }

  private draw(done: number, total: number, rssBytes: number): void {
    const width = 24;
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(fraction * width);
    const seconds = (performance.now() - this.startedAt) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const line =
      `${this.label} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%` +
      ` ${done}/${total} ${formatRate(rate)}/s ${seconds.toFixed(1)} s` +
      (rssBytes > 0 ? ` rss ${(rssBytes / 1e6).toFixed(0)} MB` : '');
    const columns = process.stderr.columns ?? 120;
    process.stderr.write(`\r\x1b[2K${line.slice(0, columns - 1)}`);
  }
}

/** 12345 → `12.3k`. */
export function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k`;
  return perSecond.toFixed(0);
}

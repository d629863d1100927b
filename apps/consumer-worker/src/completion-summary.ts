import type { Logger } from '@chat/completion-schema';
import type { CompletionOutcome } from './completion-handler.js';

/**
 * The periodic `info` line that replaces one line per completion: at volume a line per message is more log than
 * anyone reads (and costs a write each), while an operator still wants to see the worker working. Each completion is
 * logged at `debug` (`completion settled`); every `intervalMs` one `completions summary` line at `info` gives the
 * counts by outcome and by tool since the last one, and none when nothing settled. `flush()` writes the last one on
 * shutdown.
 */
export class CompletionSummary {
  private counts = new Map<CompletionOutcome, number>();
  private tools = new Map<string, number>();
  private since = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly logger: Logger,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => this.flush(), intervalMs);
    this.timer.unref();
  }

  /** Counts one settled completion (and logs it at debug). */
  record(outcome: CompletionOutcome, taskId: string, tool: string): void {
    this.logger.debug({ outcome, taskId, tool }, 'completion settled');
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1);
    this.tools.set(tool, (this.tools.get(tool) ?? 0) + 1);
  }

  /** Logs the counts since the last summary, if any completion settled, and starts a new period. */
  flush(): void {
    const now = Date.now();
    if (this.counts.size > 0) {
      const total = [...this.counts.values()].reduce((sum, n) => sum + n, 0);
      this.logger.info(
        {
          total,
          ...Object.fromEntries(this.counts),
          byTool: Object.fromEntries(this.tools),
          periodMs: now - this.since,
        },
        'completions summary',
      );
    }
    this.counts = new Map();
    this.tools = new Map();
    this.since = now;
  }

  /** Stops the timer and logs the last period's summary. */
  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}

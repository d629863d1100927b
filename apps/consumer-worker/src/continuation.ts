import type { TaskCompletion, UIMessageChunk } from '@chat/stream-registry';
import type { ContinuationWriter } from './completion-hooks.js';

/** Prefix of the error chunk a failed or interrupted continuation ends with, as in the original. */
export const CONTINUATION_ERROR_PREFIX = 'Failed to generate response: ';

/** What a taken-over continuation that had streamed part of its answer ends with. */
export const CONTINUATION_INTERRUPTED = 'the worker streaming it stopped before the end';

/**
 * The chunks that close what `chunks` left open: a `text-end` per text part started and not ended, then a
 * `finish-step` when a step is open, so the AI SDK sees every part done.
 */
export function closingChunks(chunks: readonly UIMessageChunk[]): UIMessageChunk[] {
  const openText = new Set<string>();
  let openSteps = 0;
  for (const chunk of chunks) {
    if (chunk.type === 'text-start') openText.add(chunk.id);
    else if (chunk.type === 'text-end') openText.delete(chunk.id);
    else if (chunk.type === 'start-step') openSteps += 1;
    else if (chunk.type === 'finish-step') openSteps = Math.max(0, openSteps - 1);
  }
  const closing: UIMessageChunk[] = [...openText].map((id) => ({ type: 'text-end', id }));
  if (openSteps > 0) closing.push({ type: 'finish-step' });
  return closing;
}

/** A continuation's writer over a completion, remembering what it wrote so the worker can close it. */
export class TrackingWriter implements ContinuationWriter {
  /** Every chunk written, in order. */
  readonly written: UIMessageChunk[] = [];

  constructor(
    private readonly completion: TaskCompletion,
    private readonly signal: AbortSignal,
  ) {}

  async write(chunk: UIMessageChunk): Promise<void> {
    // A continuation still streaming after the shutdown deadline would race the worker that takes it over.
    this.signal.throwIfAborted();
    await this.completion.write(chunk);
    this.written.push(chunk);
  }
}

/**
 * Renews a completion's lease every third of it while a hook runs, so a live worker in a long `persist` or
 * `continue` keeps it, and only a dead (or cut-off) one loses it. Returns the stop function.
 */
export function keepLease(completion: TaskCompletion, leaseMs: number, onError: (error: unknown) => void) {
  const timer = setInterval(
    () => void completion.renew().catch(onError),
    Math.max(10, Math.floor(leaseMs / 3)),
  );
  timer.unref?.();
  return () => clearInterval(timer);
}

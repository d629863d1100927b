/** One call waiting for its batch. */
interface Waiting<I, O> {
  input: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs the calls made in one turn of the event loop as one batch: `add()` queues a call and the queue is handed
 * to `run` once the current turn has finished (`setImmediate`, so every handler woken by the same reply has
 * queued its call by then), or at once when it holds `maxBatch` calls. `run` resolves with one result per input,
 * in order; an `Error` in that list rejects only its own call, a rejection of `run` rejects every call of the
 * batch. The point is one round trip (one script, one socket write) for work that arrives together, such as the
 * handlers a read batch starts; a call alone waits for nothing but the end of its turn.
 */
export class TickBatcher<I, O> {
  private queue: Waiting<I, O>[] = [];
  private scheduled = false;
  /** Batches handed to `run` whose results have not been handed out yet. */
  private readonly inFlight = new Set<Promise<void>>();

  /**
   * @param run - runs a batch: one result (or `Error`) per input, in order.
   * @param maxBatch - most calls per batch; more in one turn make more batches.
   */
  constructor(
    private readonly run: (inputs: readonly I[]) => Promise<readonly (O | Error)[]>,
    private readonly maxBatch: number,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError('maxBatch must be an integer ≥ 1');
  }

  /** Queues one call; resolves with its result once its batch has run. */
  add(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.onTurnEnd);
      }
    });
  }

  /**
   * Hands what is queued to `run` now instead of at the end of the turn, and resolves once every batch so far has
   * its results (whatever they are): a caller shutting down drains before closing the connection `run` uses.
   */
  async drain(): Promise<void> {
    this.flush();
    await Promise.all(this.inFlight);
  }

  /** Calls queued and not yet handed to `run`. */
  get size(): number {
    return this.queue.length;
  }

  private readonly onTurnEnd = (): void => {
    this.scheduled = false;
    this.flush();
  };

  private flush(): void {
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    let results: Promise<readonly (O | Error)[]>;
    try {
      results = this.run(batch.map((call) => call.input));
    } catch (error) {
      results = Promise.reject(error);
    }
    const handedOut = results.then(
      (outputs) => {
        batch.forEach((call, index) => {
          if (index >= outputs.length) {
            call.reject(new Error(`batch returned ${outputs.length} results for ${batch.length} calls`));
            return;
          }
          const output = outputs[index] as O | Error;
          if (output instanceof Error) call.reject(output);
          else call.resolve(output);
        });
      },
      (error: unknown) => {
        for (const call of batch) call.reject(error);
      },
    );
    this.inFlight.add(handedOut);
    void handedOut.then(() => this.inFlight.delete(handedOut));
  }
}

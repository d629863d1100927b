/** The group (or its stream) no longer exists: the stream was deleted or Redis restarted without data. */
export function isNoGroupError(error: unknown): boolean {
  return error instanceof Error && /\bNOGROUP\b/.test(error.message);
}

/** The group already exists; creating it again is fine. */
export function isBusyGroupError(error: unknown): boolean {
  return error instanceof Error && /\bBUSYGROUP\b/.test(error.message);
}

/** Message of anything thrown, for logs and dead-letter entries. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
  } catch {
    return String(error);
  }
}

/** Milliseconds part of a stream entry id (the time Redis added it). */
export function entryTimestamp(id: string): number {
  const ms = Number.parseInt(id, 10);
  return Number.isFinite(ms) ? ms : Number.NaN;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

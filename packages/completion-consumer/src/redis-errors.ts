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

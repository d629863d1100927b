/** `T` without its falsy members. */
export type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

/** Polls `condition` until it returns a truthy value or `timeoutMs` passes; generous by default for a loaded machine. */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

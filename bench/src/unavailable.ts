const UNAVAILABLE = 'unavailable:';

/** A scenario whose code is not on this branch yet: its row is `skipped`, not `failed`. */
export class ScenarioUnavailableError extends Error {
  override readonly name = 'ScenarioUnavailableError';
  constructor(what: string) {
    // The prefix survives the trip from a child process, where only the message crosses.
    super(`${UNAVAILABLE} ${what}`);
  }
}

/** True for the message of a {@link ScenarioUnavailableError}, in this process or from a child. */
export function isUnavailable(message: string): boolean {
  return message.startsWith(UNAVAILABLE);
}

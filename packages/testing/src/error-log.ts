/** One error line a {@link errorLog} logger kept: the fields object and the message. */
export interface LoggedError {
  fields: Record<string, unknown>;
  message: string;
}

type LogMethod = (objOrMsg: object | string, msg?: string) => void;

/**
 * A logger in the packages' (pino-compatible) shape that drops debug, info and warn and keeps every error line,
 * for tests that assert what a component reported as an error.
 */
export function errorLog(): {
  logger: { debug: LogMethod; info: LogMethod; warn: LogMethod; error: LogMethod };
  errors: LoggedError[];
} {
  const errors: LoggedError[] = [];
  const noop: LogMethod = () => {};
  const logger = {
    debug: noop,
    info: noop,
    warn: noop,
    error: (fields: object | string, message?: string) =>
      void errors.push({ fields: fields as Record<string, unknown>, message: String(message) }),
  };
  return { logger, errors };
}

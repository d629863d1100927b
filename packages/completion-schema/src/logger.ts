/** One log method in pino's shape: `log(obj, msg)` or `log(msg)`. */
export type LogFn = (objOrMsg: object | string, msg?: string) => void;

/**
 * The logger the pipeline packages accept: a subset of pino's API, so a pino logger (or a child of one) can be
 * passed as is. Libraries never write to the console; without a logger they say nothing.
 */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /** When present, used to attach bindings such as the consumer name. */
  child?: (bindings: Record<string, unknown>) => Logger;
}

const noop: LogFn = () => {};

/** A logger that drops everything; the default when none is given. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/** `logger.child(bindings)` when the logger supports it, else the logger itself. */
export function childLogger(logger: Logger, bindings: Record<string, unknown>): Logger {
  return logger.child ? logger.child(bindings) : logger;
}

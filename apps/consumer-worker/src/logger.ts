import { pino } from 'pino';

/**
 * The worker's pino logger: JSON lines, or human-readable (pino-pretty) when stdout is a terminal.
 * Redis URLs are logged only through `redactUrl`; the redact paths below are a second guard.
 */
export function createLogger(level: string, pretty = process.stdout.isTTY === true) {
  return pino({
    level,
    base: { service: 'consumer-worker' },
    redact: {
      paths: ['password', '*.password', 'redisUrl', '*.redisUrl', 'secret', '*.secret'],
      censor: '***',
    },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  });
}

/** The worker's logger type. */
export type WorkerLogger = ReturnType<typeof createLogger>;

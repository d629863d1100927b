import { randomBytes } from 'node:crypto';

/** A key prefix unique to one test, so tests can share one redis-server without seeing each other's keys. */
export function uniquePrefix(label = 't'): string {
  return `test:${label.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 40)}:${randomBytes(4).toString('hex')}:`;
}

import type { KeyLayout } from './options.js';

/**
 * How a task hash stores a time: `compat` as the Python original writes it (`datetime.isoformat()` of a UTC time:
 * microseconds and `+00:00`, e.g. `2026-01-02T03:04:05.678000+00:00`), so the original's readers parse it with
 * `datetime.fromisoformat` on every Python version; `cluster` as JavaScript does (`toISOString()`, milliseconds
 * and `Z`).
 */
export function formatTaskTimestamp(ms: number, layout: KeyLayout): string {
  const iso = new Date(ms).toISOString();
  if (layout === 'cluster') return iso;
  // toISOString is always YYYY-MM-DDTHH:MM:SS.mmmZ for years 0-9999.
  return `${iso.slice(0, 23)}000+00:00`;
}

const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Milliseconds since the epoch of a stored task time in either format (`…​.mmmZ` or `…​.ffffff+00:00`, any
 * fraction length, any offset; no offset is read as UTC, as the original writes only UTC), or null when it is not
 * an ISO 8601 date-time. Parsed explicitly rather than by `Date.parse`, whose handling of anything but
 * `toISOString()`'s own format is implementation-defined.
 */
export function parseTaskTimestamp(value: string | undefined | null): number | null {
  if (!value) return null;
  const match = ISO_TIMESTAMP.exec(value.trim());
  if (!match) return null;
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = match;
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  let utc = Date.UTC(+year!, +month! - 1, +day!, +hour!, +minute!, +second!, ms);
  if (zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    utc -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return Number.isFinite(utc) ? utc : null;
}

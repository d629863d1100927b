/** Default completion stream key, as in the Python original. */
export const DEFAULT_COMPLETION_STREAM = 'chat:completions';

/** Default consumer group name, as in the Python original. */
export const DEFAULT_CONSUMER_GROUP = 'chat_consumers';

/** Largest encoded `data` value accepted on the wire, in bytes (1 MiB). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/** The one field every completion stream entry carries. */
export const DATA_FIELD = 'data';

/** Major version of the wire contract this package reads and writes. An absent `schema_version` means 1. */
export const SCHEMA_MAJOR_VERSION = 1;

/** Full version of the contract this package writes, `MAJOR.MINOR`. */
export const SCHEMA_VERSION = '1.0';

/**
 * The hash tag of a key (the part Redis Cluster hashes), or undefined when the key has none.
 * Follows the cluster spec: the first `{`, then the first `}` after it, with at least one character between.
 */
export function hashTagOf(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open === -1) return undefined;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return undefined;
  return key.slice(open + 1, close);
}

/**
 * Dead-letter stream for a completion stream. It shares the source stream's hash slot so one script can
 * dead-letter and acknowledge atomically on Redis Cluster: `a:{x}` → `a:{x}:dlq`, untagged `a` → `{a}:dlq`.
 */
export function deadLetterStreamFor(stream: string): string {
  return hashTagOf(stream) === undefined ? `{${stream}}:dlq` : `${stream}:dlq`;
}

/** Dead-letter stream of the default completion stream: `{chat:completions}:dlq`. */
export const DEFAULT_DEAD_LETTER_STREAM = deadLetterStreamFor(DEFAULT_COMPLETION_STREAM);

import { DEFAULT_COMPLETION_STREAM } from './constants.js';
import { hashTagOf } from './hash-tag.js';

/**
 * Dead-letter stream for a completion stream. It shares the source stream's hash slot so one script can
 * dead-letter and acknowledge atomically on Redis Cluster: `a:{x}` → `a:{x}:dlq`, untagged `a` → `{a}:dlq`.
 */
export function deadLetterStreamFor(stream: string): string {
  return hashTagOf(stream) === undefined ? `{${stream}}:dlq` : `${stream}:dlq`;
}

/** Dead-letter stream of the default completion stream: `{chat:completions}:dlq`. */
export const DEFAULT_DEAD_LETTER_STREAM = deadLetterStreamFor(DEFAULT_COMPLETION_STREAM);

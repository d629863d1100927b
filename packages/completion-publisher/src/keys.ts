import { hashTagOf } from '@chat/completion-schema/internal';
import { PublisherOptionsError } from './errors.js';

/**
 * The key the idempotency script stores an operation's first entry id under. It shares the stream's hash slot
 * (one script touches both, which Redis Cluster requires), the same way the dead-letter stream does:
 * `a:{x}` → `a:{x}:published:<op>`, untagged `chat:completions` → `{chat:completions}:published:<op>`.
 */
export function publishedMarkerKey(stream: string, operationId: string): string {
  const base = hashTagOf(stream) === undefined ? `{${stream}}` : stream;
  return `${base}:published:${operationId}`;
}

/**
 * Throws when a stream name cannot get a marker in its slot. Only odd untagged names with braces (`a{}b}`)
 * hit this: wrapping them in braces would hash a different part of the name than Redis hashes for the stream.
 */
export function assertMarkerShareSlot(stream: string): void {
  const streamHashed = hashTagOf(stream) ?? stream;
  const markerHashed = hashTagOf(publishedMarkerKey(stream, 'x')) ?? '';
  if (streamHashed !== markerHashed)
    throw new PublisherOptionsError(
      `stream ${JSON.stringify(stream)} cannot share a Redis Cluster slot with its idempotency markers; ` +
        'give it an explicit hash tag such as "{completions}"',
      { option: 'stream' },
    );
}

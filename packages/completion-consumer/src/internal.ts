// What the other @chat packages share with this one but users do not need: `@chat/completion-consumer/internal`.
// Not part of the public API; it may change in any release.
export { readGroupFacts } from './metrics.js';
export { readTrimFacts, type TrimFacts, type TrimPosition, trimPosition } from './trimmed-unread.js';

// What the other @chat packages share with this one but users do not need: `@chat/stream-registry/internal`.
// Not part of the public API; it may change in any release.
export { type TaskKeys, taskKeys } from './task-keys.js';
export { type RegistrySpanName, withSpan } from './tracing.js';

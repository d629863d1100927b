// What the other @chat packages share with this one but users do not need: `@chat/completion-schema/internal`.
// Not part of the public API; it may change in any release.

export { encodeStamped, prepareStamp, type Stamp } from './codec.js';
export { hashTagOf } from './hash-tag.js';
export { childLogger, silentLogger } from './logger.js';

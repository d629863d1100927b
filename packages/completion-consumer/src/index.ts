export type { BackoffOptions } from './backoff.js';
export { CompletionConsumer, createConsumer } from './consumer.js';
export type { DeadLetterReason } from './dead-letter.js';
export {
  DEFAULT_DEAD_LETTER_ADMIN_OPTIONS,
  type DeadLetter,
  type DeadLetterTarget,
  type ListDeadLettersOptions,
  listDeadLetters,
  purgeDeadLetters,
  type ReplayDeadLetterOptions,
  replayAllDeadLetters,
  replayDeadLetter,
} from './dead-letter-admin.js';
export {
  type ConsumerErrorCode,
  ConsumerOptionsError,
  type HandlerErrorOptions,
  PermanentError,
  ReadWatchdogError,
  RetryableError,
} from './errors.js';
export type { ConsumerEvents, ConsumerState, EntrySource } from './events.js';
export { DEFAULT_HISTOGRAM_BOUNDS_MS, type HistogramSnapshot } from './histogram.js';
export {
  DEFAULT_IDLE_CONSUMER_OPTIONS,
  deleteIdleConsumers,
  type IdleConsumerOptions,
} from './idle-consumers.js';
export type { ConsumerCounters, ConsumerMetricsSnapshot } from './metrics.js';
export {
  type ConsumerOptions,
  DEFAULT_CONSUMER_OPTIONS,
  type DeadLetterOptions,
  type HandlerContext,
  MAX_BLOCK_MS,
  MAX_TIMER_MS,
  type MessageHandler,
  type ResolvedConsumerOptions,
  resolveConsumerOptions,
} from './options.js';
export type { RedisClient } from './scripts.js';
export {
  DEFAULT_TRIMMER_OPTIONS,
  type ResolvedStreamTrimmerOptions,
  resolveStreamTrimmerOptions,
  type SafeTrimOptions,
  StreamTrimmer,
  type StreamTrimmerOptions,
  type TrimResult,
  trimStreamSafely,
} from './trimmer.js';

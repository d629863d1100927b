// Re-exported so a producer needs one import for the message type and the errors it may catch.
export {
  ChatPipelineError,
  MessageTooDeepError,
  MessageTooLargeError,
  MessageValidationError,
  type OperationCompleteInput,
} from '@chat/completion-schema';
export {
  type BatchFailure,
  InvalidBatchError,
  type PublishErrorCode,
  PublisherClosedError,
  PublisherOptionsError,
  PublishTimeoutError,
  RedisCommandError,
  RedisUnavailableError,
  ReplicationTimeoutError,
} from './errors.js';
export { publishedMarkerKey } from './keys.js';
export {
  DEFAULT_PUBLISHER_OPTIONS,
  type IdempotencyOptions,
  type MaxLenOptions,
  type PublisherOptions,
  type ReplicaWaitOptions,
  type ResolvedPublisherOptions,
} from './options.js';
export { CompletionPublisher, createPublisher } from './publisher.js';

export {
  type CodecOptions,
  DEFAULT_CODEC_OPTIONS,
  type DecodeError,
  type DecodeErrorCode,
  type DecodeResult,
  decode,
  encode,
  encodeData,
  parseMessage,
  type ResolvedCodecOptions,
  resolveCodecOptions,
} from './codec.js';
export {
  DATA_FIELD,
  DEFAULT_COMPLETION_STREAM,
  DEFAULT_CONSUMER_GROUP,
  MAX_MESSAGE_BYTES,
  MAX_RESULT_DEPTH,
  SCHEMA_MAJOR_VERSION,
  SCHEMA_VERSION,
} from './constants.js';
export { DEFAULT_DEAD_LETTER_STREAM, deadLetterStreamFor } from './dead-letter-stream.js';
export {
  ChatPipelineError,
  MessageTooDeepError,
  MessageTooLargeError,
  MessageValidationError,
  type SchemaErrorCode,
} from './errors.js';
export { buildOperationCompleteJsonSchema, JSON_SCHEMA_V1_ID, jsonSchemaFileName } from './json-schema.js';
export { CLUSTER_SLOT_COUNT, crc16, keySlot } from './key-slot.js';
export type { LogFn, Logger } from './logger.js';
export {
  type OperationCompleteInput,
  type OperationCompleteMessage,
  operationCompleteSchema,
  schemaMajorOf,
  schemaVersionSchema,
} from './message-schema.js';
export {
  fnv1a32,
  MAX_PARTITIONS,
  PartitionOptionsError,
  partitionFor,
  partitionStream,
  partitionStreams,
  partitionTag,
} from './partition.js';
export { isValidTraceparent, TRACEPARENT_PATTERN } from './traceparent.js';

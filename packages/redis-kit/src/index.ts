// Internal: the Redis plumbing the pipeline's packages share. Each published package bundles what it uses.
export {
  BlockingReader,
  type BlockingReaderErrorCode,
  type BlockingReaderOptions,
  OverdueReadError,
  type ReadCallOptions,
  ReaderClosedError,
} from './blocking-reader.js';
export { isCluster, masterAt, masterFor, masterKeyFor, nodeKeyOf, type RedisClient } from './cluster.js';
export { flatRecord } from './flat-reply.js';
export {
  activeTracer,
  errorTypeOf,
  loadOtelApi,
  MESSAGING_SYSTEM,
  messagingAttributes,
  type OtelApi,
  otelApi,
  recordSpanError,
} from './otel.js';
export {
  defineScript,
  evalScript,
  expandIncludes,
  type KeyCount,
  type LuaScript,
  type LuaScripts,
  luaScript,
  luaScripts,
  queueScript,
  runScript,
  type ScriptKeys,
  type ScriptRunner,
  scriptRunner,
} from './scripts.js';
export { sleep } from './sleep.js';
export { compareStreamIds, entryTimestamp, isStreamId, ZERO_ID } from './stream-id.js';
export { TickBatcher } from './tick-batcher.js';

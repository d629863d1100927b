#!/usr/bin/env node
// The deployable entry point: configuration from the environment, signals, exit codes.
import { ConfigError, loadConfig, redactUrl } from './config.js';
import { startEmbeddedRedis } from './embedded-redis.js';
import { createLogger } from './logger.js';
import { createWorker } from './worker.js';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`consumer-worker: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}

const logger = createLogger(config.logLevel);
let embedded: Awaited<ReturnType<typeof startEmbeddedRedis>> | undefined;
let redisUrl = config.redisUrl;
if (config.cluster) {
  logger.info(
    {
      clusterNodes: config.cluster.nodes.map(({ host, port }) => `${host}:${port}`),
      tls: config.cluster.tls,
      streams: config.streams,
    },
    'using Redis Cluster from REDIS_CLUSTER_NODES',
  );
} else if (!redisUrl) {
  embedded = await startEmbeddedRedis(config.dataDir);
  redisUrl = embedded.url;
  logger.info(
    { redis: redisUrl, dataDir: embedded.dir, appendonly: 'everysec', pid: embedded.pid },
    'no REDIS_URL set: started an embedded redis-server (development only; set REDIS_URL in production)',
  );
} else {
  logger.info({ redis: redactUrl(redisUrl) }, 'using Redis from REDIS_URL');
}

const worker = createWorker({ config: { ...config, redisUrl }, logger });
let stopping = false;
const shutdown = async (signal: NodeJS.Signals) => {
  if (stopping) {
    logger.warn({ signal }, 'second signal: exiting at once');
    process.exit(1);
  }
  stopping = true;
  logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'draining');
  try {
    await worker.close();
    await embedded?.stop();
    logger.info('stopped cleanly');
    process.exit(0);
  } catch (error) {
    logger.error({ err: error }, 'shutdown failed');
    process.exit(1);
  }
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

try {
  const { httpPort } = await worker.start();
  logger.info(
    {
      httpPort,
      stream: config.stream,
      streams: config.streams,
      group: config.group,
      consumer: config.consumerName,
    },
    'consumer-worker ready',
  );
} catch (error) {
  logger.fatal({ err: error }, 'consumer-worker failed to start');
  await worker.close().catch(() => {});
  await embedded?.stop();
  process.exit(1);
}

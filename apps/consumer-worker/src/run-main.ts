import type { CompletionHookRegistry } from './completion-hooks.js';
import { loadConfig, redactUrl, type WorkerConfig } from './config.js';
import { startEmbeddedRedis } from './embedded-redis.js';
import { ConfigError } from './errors.js';
import { createLogger } from './logger.js';
import { startTracing, type WorkerTracing } from './tracing.js';
import { createWorker } from './worker.js';

/** Options of {@link runWorkerMain}. */
export interface RunWorkerMainOptions {
  /** The application's completion hooks, as for `createWorker`. */
  hooks?: CompletionHookRegistry;
  /** Environment to read the configuration from. @defaultValue the process's (`process.env`) */
  env?: NodeJS.ProcessEnv;
}

/**
 * The whole life of the deployable process: configuration from the environment (exit 2 when invalid), the
 * embedded Redis outside production, start (exit 1 with a `fatal` line naming the cause when it fails), and
 * SIGTERM/SIGINT draining (exit 0; a second signal exits 1). Exported so a deployment that adds per-tool hooks
 * gets exactly the same startup and signal handling as `dist/main.js`, instead of a copy of it.
 */
export async function runWorkerMain(options: RunWorkerMainOptions = {}): Promise<void> {
  let config: WorkerConfig;
  try {
    config = loadConfig(options.env);
  } catch (error) {
    if (ConfigError.isInstance(error)) {
      process.stderr.write(`consumer-worker: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }

  const logger = createLogger(config.logLevel);
  // Before anything creates a span: the SDK must be registered when the consumer loads the OpenTelemetry API.
  let tracing: WorkerTracing | undefined;
  try {
    tracing = await startTracing(options.env ?? process.env, logger);
  } catch (error) {
    // Tracing is an aid, never a reason not to consume: a broken exporter setup is logged and the worker runs on.
    logger.error({ err: error }, 'OpenTelemetry tracing could not start; running without it');
  }
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

  const worker = createWorker({ config: { ...config, redisUrl }, logger, hooks: options.hooks });
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
      // Flushes the spans of the last deliveries to the exporter.
      await tracing?.shutdown().catch((error) => logger.warn({ err: error }, 'flushing traces failed'));
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
    // An ACL refusal reads e.g. "NOPERM this user has no permissions to run the 'xgroup|create' command":
    // the message itself names what is missing, so it goes into the line's text, not only into `err`.
    const message = error instanceof Error ? error.message : String(error);
    logger.fatal({ err: error }, `consumer-worker failed to start: ${message}`);
    await worker.close().catch(() => {});
    await embedded?.stop();
    process.exit(1);
  }
}

import { describe, expect, it } from 'vitest';
import { loadConfig, redactUrl } from './config.js';
import { ConfigError } from './errors.js';

describe('loadConfig', () => {
  it('applies every default', () => {
    const config = loadConfig({ POD_NAME: 'worker-7' });
    expect(config).toMatchObject({
      redisUrl: undefined,
      stream: 'chat:completions',
      group: 'chat_consumers',
      consumerName: 'worker-7',
      concurrency: 16,
      maxDeliveries: 5,
      claimIdleMs: 60_000,
      shutdownTimeoutMs: 10_000,
      httpPort: 8080,
      logLevel: 'info',
      keyLayout: 'compat',
      taskTtlSeconds: 3600,
      webhook: undefined,
      cluster: undefined,
      partitions: 1,
      consumerPartitions: [0],
      streams: ['chat:completions'],
      trimIntervalMs: 60_000,
    });
  });

  it('reads cluster seeds (credentials and TLS from URL seeds) and requires KEY_LAYOUT=cluster with them', () => {
    const config = loadConfig({
      REDIS_CLUSTER_NODES: 'rediss://app:s3cr%40t@10.0.0.1:7000, 10.0.0.2:7001,[::1]:7002',
      KEY_LAYOUT: 'cluster',
    });
    expect(config.cluster).toEqual({
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      username: 'app',
      password: 's3cr@t',
      tls: true,
    });
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000' })).toThrow(/KEY_LAYOUT: must be cluster/);
    expect(() =>
      loadConfig({ REDIS_CLUSTER_NODES: 'h:7000', REDIS_URL: 'redis://h', KEY_LAYOUT: 'cluster' }),
    ).toThrow(/not both/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'h:99999', KEY_LAYOUT: 'cluster' })).toThrow(
      /REDIS_CLUSTER_NODES/,
    );
    expect(
      loadConfig({ NODE_ENV: 'production', REDIS_CLUSTER_NODES: 'h:7000', KEY_LAYOUT: 'cluster' }).cluster,
    ).toBeDefined();
  });

  it('names one stream per consumed partition and validates the subset', () => {
    const all = loadConfig({ PARTITIONS: '3' });
    expect(all.consumerPartitions).toEqual([0, 1, 2]);
    expect(all.streams).toEqual(['chat:completions:{0.1}', 'chat:completions:{1}', 'chat:completions:{2.4}']);
    const some = loadConfig({ PARTITIONS: '3', CONSUMER_PARTITIONS: '2, 0,2' });
    expect(some.consumerPartitions).toEqual([0, 2]);
    expect(some.streams).toEqual(['chat:completions:{0.1}', 'chat:completions:{2.4}']);
    expect(() => loadConfig({ PARTITIONS: '3', CONSUMER_PARTITIONS: '1,3' })).toThrow(
      /CONSUMER_PARTITIONS: 3 outside 0…2/,
    );
    expect(() => loadConfig({ CONSUMER_PARTITIONS: 'a' })).toThrow(/CONSUMER_PARTITIONS/);
    expect(() => loadConfig({ PARTITIONS: '2', COMPLETION_STREAM: 'x:{y}' })).toThrow(/braces/);
    expect(() => loadConfig({ PARTITIONS: '0' })).toThrow(/PARTITIONS/);
  });

  it('defaults the consumer name to hostname-pid', () => {
    expect(loadConfig({}).consumerName).toMatch(new RegExp(`-${process.pid}$`));
  });

  it('lists every bad variable at once', () => {
    let caught: unknown;
    try {
      loadConfig({
        NODE_ENV: 'production',
        CONCURRENCY: 'lots',
        HTTP_PORT: '70000',
        LOG_LEVEL: 'loud',
        KEY_LAYOUT: 'sideways',
        WEBHOOK_URL: 'https://example.test/hook',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect(ConfigError.isInstance(caught) && caught.code).toBe('invalid_config');
    const text = (caught as ConfigError).message;
    for (const name of ['CONCURRENCY', 'HTTP_PORT', 'LOG_LEVEL', 'KEY_LAYOUT', 'REDIS_URL', 'WEBHOOK_URL']) {
      expect(text).toContain(name);
    }
  });

  it('refuses a close misspelling of a variable with "did you mean", and leaves other variables alone', () => {
    const problems = (env: NodeJS.ProcessEnv) => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    expect(
      problems({ CONCURENCY: '4', WEBHOOK_SCRET: 'x', log_level: 'debug', REDIS_URI: 'redis://h' }),
    ).toEqual([
      'CONCURENCY: not a variable the worker reads; did you mean CONCURRENCY?',
      'WEBHOOK_SCRET: not a variable the worker reads; did you mean WEBHOOK_SECRET?',
      'log_level: not a variable the worker reads; did you mean LOG_LEVEL?',
      'REDIS_URI: not a variable the worker reads; did you mean REDIS_URL?',
    ]);
    // The system's, the runtime's and the platform's variables (Kubernetes service links included) are not ours.
    const foreign = [
      'PATH',
      'HOME',
      'HOSTNAME',
      'NODE_OPTIONS',
      'NODE_PATH',
      'NODE_TLS_REJECT_UNAUTHORIZED',
      'HTTP_PROXY',
      'HTTPS_PROXY',
      'NO_PROXY',
      'REDIS_PORT',
      'REDIS_HOST',
      'REDIS_SERVICE_HOST',
      'REDIS_PORT_6379_TCP',
      'REDIS_VERSION',
      'POD_IP',
      'POD_NAMESPACE',
      'PORT',
      'HOST',
    ];
    expect(problems({ ...process.env, ...Object.fromEntries(foreign.map((name) => [name, 'x'])) })).toEqual(
      [],
    );
  });

  it('refuses RETRY_BASE_MS above RETRY_MAX_MS, together with every other problem', () => {
    let caught: ConfigError | undefined;
    try {
      loadConfig({ RETRY_BASE_MS: '5000', RETRY_MAX_MS: '100', CONCURRENCY: '0.5', HTTP_PORT: 'x' });
    } catch (error) {
      caught = error as ConfigError;
    }
    expect(caught?.problems).toEqual([
      'CONCURRENCY: must be a whole number',
      'HTTP_PORT: must be a whole number',
      'RETRY_BASE_MS: 5000 must not exceed RETRY_MAX_MS (100): the first retry delay is the smaller one',
    ]);
  });

  it('requires REDIS_URL in production only', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/REDIS_URL/);
    expect(loadConfig({ NODE_ENV: 'production', REDIS_URL: 'redis://h:6379' }).redisUrl).toBe(
      'redis://h:6379',
    );
  });
});

describe('redactUrl', () => {
  it('hides the password and keeps the rest', () => {
    expect(redactUrl('redis://user:s3cret@127.0.0.1:6379/0')).toBe('redis://user:***@127.0.0.1:6379/0');
    expect(redactUrl('rediss://:s3cret@host:6380')).not.toContain('s3cret');
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });

  it('reads the TLS settings and refuses a CA file that does not exist', () => {
    expect(loadConfig({}).redisTls).toEqual({ caFile: undefined, rejectUnauthorized: true });
    expect(loadConfig({ REDIS_TLS_REJECT_UNAUTHORIZED: 'false' }).redisTls.rejectUnauthorized).toBe(false);
    expect(() => loadConfig({ REDIS_TLS_CA_FILE: '/no/such/ca.pem' })).toThrow(/REDIS_TLS_CA_FILE/);
  });
});

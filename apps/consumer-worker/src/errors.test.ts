import { ChatPipelineError } from '@chat/completion-schema';
import { silentLogger } from '@chat/completion-schema/internal';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { ConfigError, WorkerOptionsError } from './errors.js';
import { resolveWebhookCloseOptions, resolveWebhookOptions } from './webhook.js';
import { createWorker } from './worker.js';

/** What `run` threw. */
function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('worker errors follow the pipeline pattern', () => {
  it('a bad environment is a ConfigError with code invalid_config', () => {
    const error = thrownBy(() => loadConfig({ PARTITIONS: '0' }));
    expect(ConfigError.isInstance(error)).toBe(true);
    expect(ChatPipelineError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'invalid_config', name: 'ConfigError' });
  });

  it('createWorker without a way to reach Redis throws WorkerOptionsError naming redis', () => {
    const config = { ...loadConfig({}), redisUrl: undefined, cluster: undefined };
    const error = thrownBy(() => createWorker({ config, logger: silentLogger }));
    expect(WorkerOptionsError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'invalid_options', option: 'redis' });
  });

  it.each([
    ['a URL that is not http(s)', { url: 'ftp://x/hook' }, 'url'],
    ['an empty secret', { secret: '' }, 'secret'],
    ['no attempts', { maxAttempts: 0 }, 'maxAttempts'],
    ['a zero timeout', { timeoutMs: 0 }, 'timeoutMs'],
    ['a negative retry delay', { retryBaseMs: -1 }, 'retryBaseMs'],
  ])('webhook options with %s throw WorkerOptionsError naming it', (_, bad, option) => {
    const error = thrownBy(() =>
      resolveWebhookOptions({ url: 'http://127.0.0.1/hook', secret: 'a-secret-of-enough-length', ...bad }),
    );
    expect(WorkerOptionsError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'invalid_options', option });
  });

  it('webhook close options default and validate like the others', () => {
    expect(resolveWebhookCloseOptions({})).toEqual({ timeoutMs: 10_000 });
    expect(thrownBy(() => resolveWebhookCloseOptions({ timeoutMs: -5 }))).toMatchObject({
      code: 'invalid_options',
      option: 'timeoutMs',
    });
  });
});

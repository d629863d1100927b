import { ChatPipelineError } from '@chat/completion-schema';
import { describe, expect, it } from 'vitest';
import {
  ChunkTooLargeError,
  CursorTrimmedError,
  ForbiddenError,
  InvalidChunkError,
  InvalidCursorError,
  InvalidInputError,
  InvalidTokenError,
  NotOwnerError,
  RegistryClosedError,
  StreamRegistry,
  StreamRegistryError,
  type StreamRegistryErrorCode,
  StreamRegistryOptionsError,
  TaskExistsError,
  TaskExpiredError,
  TaskNotFoundError,
  TaskNotRunningError,
} from '../src/index.js';

describe('registry errors: one class per code', () => {
  const classes = {
    task_not_found: TaskNotFoundError,
    task_expired: TaskExpiredError,
    task_exists: TaskExistsError,
    forbidden: ForbiddenError,
    invalid_token: InvalidTokenError,
    cursor_trimmed: CursorTrimmedError,
    invalid_cursor: InvalidCursorError,
    task_not_running: TaskNotRunningError,
    not_owner: NotOwnerError,
    invalid_chunk: InvalidChunkError,
    too_large: ChunkTooLargeError,
    invalid_input: InvalidInputError,
    invalid_options: StreamRegistryOptionsError,
    closed: RegistryClosedError,
  } satisfies Record<StreamRegistryErrorCode, unknown>;

  it.each(Object.entries(classes))('%s has its own class, recognised across copies', (code, Class) => {
    const error = new Class('boom', { taskId: 't-1' });
    expect(error).toMatchObject({ code, name: Class.name, taskId: 't-1', message: 'boom' });
    expect(Class.isInstance(error)).toBe(true);
    expect(StreamRegistryError.isInstance(error)).toBe(true);
    expect(ChatPipelineError.isInstance(error)).toBe(true);
    // Only its own class claims it.
    const others = Object.values(classes).filter((other) => other !== Class);
    expect(others.filter((other) => other.isInstance(error))).toEqual([]);
  });

  it.each([
    ['neither redis nor url', {}, 'redis'],
    ['a zero TTL', { url: 'redis://127.0.0.1:1', ttlSeconds: 0 }, 'ttlSeconds'],
    ['an unknown key layout', { url: 'redis://127.0.0.1:1', keyLayout: 'flat' }, 'keyLayout'],
    [
      'braces in a cluster prefix',
      { url: 'redis://127.0.0.1:1', keyLayout: 'cluster', keyPrefix: '{chat}:' },
      'keyPrefix',
    ],
  ])('refuses options with %s, naming the option', (_, options, option) => {
    let thrown: unknown;
    try {
      new StreamRegistry(options as never);
    } catch (error) {
      thrown = error;
    }
    expect(StreamRegistryOptionsError.isInstance(thrown)).toBe(true);
    expect(thrown).toMatchObject({ code: 'invalid_options', option });
  });
});

import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { encodeChunk } from '../src/chunk-schema.js';
import {
  StreamRegistry,
  StreamRegistryOptionsError,
  toolFailureChunk,
  toolOutputChunk,
  uiMessageChunkSchema,
} from '../src/index.js';

const target = { toolCallId: 'call-1', toolName: 'create_agent' };

describe('chunk dialect', () => {
  it('original writes exactly the Python original’s tool chunks', () => {
    expect(toolOutputChunk('original', { ...target, output: '{"a":1}' })).toEqual({
      type: 'tool-output-available',
      toolCallId: 'call-1',
      toolName: 'create_agent',
      output: '{"a":1}',
      success: true,
    });
    expect(toolFailureChunk('original', { ...target, errorText: 'boom' })).toEqual({
      type: 'error',
      errorText: 'boom',
    });
  });

  it('ai-sdk writes the protocol’s own tool chunks', () => {
    expect(toolOutputChunk('ai-sdk', { ...target, output: 'done' })).toEqual({
      type: 'tool-output-available',
      toolCallId: 'call-1',
      output: 'done',
    });
    expect(toolFailureChunk('ai-sdk', { ...target, errorText: 'boom' })).toEqual({
      type: 'tool-output-error',
      toolCallId: 'call-1',
      errorText: 'boom',
    });
  });

  it('every dialect’s chunks pass the registry’s chunk schema', () => {
    for (const dialect of ['original', 'ai-sdk'] as const) {
      const chunks = [
        toolOutputChunk(dialect, { ...target, output: 'x' }),
        toolFailureChunk(dialect, { ...target, errorText: 'y' }),
      ];
      for (const chunk of chunks) expect(uiMessageChunkSchema.safeParse(chunk).success).toBe(true);
    }
  });

  it('defaults by key layout, can be set, and refuses an unknown dialect', () => {
    // lazyConnect: these registries never talk to a server.
    const redis = new Redis({ lazyConnect: true });
    try {
      expect(new StreamRegistry({ redis }).options.chunkDialect).toBe('original');
      expect(new StreamRegistry({ redis, keyLayout: 'cluster' }).options.chunkDialect).toBe('ai-sdk');
      expect(new StreamRegistry({ redis, chunkDialect: 'ai-sdk' }).options.chunkDialect).toBe('ai-sdk');
      expect(
        new StreamRegistry({ redis, keyLayout: 'cluster', chunkDialect: 'original' }).options.chunkDialect,
      ).toBe('original');
      let thrown: unknown;
      try {
        new StreamRegistry({ redis, chunkDialect: 'python' as never });
      } catch (error) {
        thrown = error;
      }
      expect(StreamRegistryOptionsError.isInstance(thrown)).toBe(true);
      expect(thrown).toMatchObject({ option: 'chunkDialect' });
    } finally {
      redis.disconnect();
    }
  });
});

describe('chunk dialect on the wire', () => {
  it('the original dialect’s JSON has the original’s field order', () => {
    expect(encodeChunk(toolOutputChunk('original', { ...target, output: 'x' }))).toBe(
      '{"type":"tool-output-available","toolCallId":"call-1","toolName":"create_agent","output":"x","success":true}',
    );
  });
});

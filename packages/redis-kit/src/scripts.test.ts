import { uniquePrefix } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  defineScript,
  evalScript,
  expandIncludes,
  luaScript,
  luaScripts,
  queueScript,
  runScript,
} from './scripts.js';

const COUNTS = 'return { #KEYS, #ARGV }';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await redis.quit();
});

describe('script layer', () => {
  it('takes the key count from the file name', async () => {
    const set = luaScripts('kitTest', {
      'counts-0': COUNTS,
      'counts-2': COUNTS,
      'two-part-name-3': COUNTS,
    });
    expect(set['counts-2'].numberOfKeys).toBe(2);
    expect(set['two-part-name-3'].numberOfKeys).toBe(3);
    const p = uniquePrefix('kit-keys');
    expect(await runScript(redis, set['counts-0'], [], ['a', 'b'])).toEqual([0, 2]);
    expect(await runScript(redis, set['counts-2'], [`${p}a`, `${p}b`], ['x'])).toEqual([2, 1]);
    expect(await runScript(redis, set['two-part-name-3'], [`${p}a`, `${p}b`, `${p}c`])).toEqual([3, 0]);
  });

  it('refuses a file name without a key count, and a call with the wrong number of keys', () => {
    expect(() => luaScripts('kitTest', { 'no-count': COUNTS } as unknown as Record<'x-1', string>)).toThrow(
      /<name>-<numKeys>/,
    );
    const set = luaScripts('kitTest', { 'counts-2': COUNTS });
    // @ts-expect-error the file name says two keys: the types refuse one, and so does the run
    expect(() => runScript(redis, set['counts-2'], ['only-one'])).toThrow('counts-2 takes 2 keys, got 1');
  });

  it('names each command after its content, so a changed script never runs under an old name', async () => {
    const v1 = luaScripts('kitTest', { 'answer-0': 'return 1' });
    const v2 = luaScripts('kitTest', { 'answer-0': 'return 2' });
    const again = luaScripts('kitTest', { 'answer-0': 'return 1' });
    expect(v1['answer-0'].command).toMatch(/^kitTestAnswer_[0-9a-f]{12}$/);
    expect(v2['answer-0'].command).not.toBe(v1['answer-0'].command);
    expect(again['answer-0'].command).toBe(v1['answer-0'].command);
    // Two versions on one client (two copies of a package sharing the caller's connection) each run their own.
    expect(await runScript(redis, v1['answer-0'], [])).toBe(1);
    expect(await runScript(redis, v2['answer-0'], [])).toBe(2);
    expect(await runScript(redis, v1['answer-0'], [])).toBe(1);
    // The key count is part of what a command is.
    const moreKeys = luaScripts('kitTest', { 'answer-1': 'return 1' });
    expect(moreKeys['answer-1'].command).not.toBe(v1['answer-0'].command.replace('Answer', ''));
    expect(luaScript('p', 'a-1', 'return 1').command).not.toBe(luaScript('p', 'a-2', 'return 1').command);
  });

  it('a changed include changes the name of every script that uses it', () => {
    const source = '--- @include "value"\nreturn value()';
    const one = luaScripts('kitTest', { 'get-0': source }, { value: 'local function value() return 1 end' });
    const two = luaScripts('kitTest', { 'get-0': source }, { value: 'local function value() return 2 end' });
    expect(one['get-0'].command).not.toBe(two['get-0'].command);
  });

  it('expands includes, nested ones included once, and runs the result', async () => {
    const includes = {
      'add-maxlen': [
        '--- @include "positive"',
        'local function addMaxLen(args, cap)',
        "  if positive(cap) then args[#args + 1] = 'MAXLEN'; args[#args + 1] = cap end",
        'end',
      ].join('\n'),
      positive: 'local function positive(v) local n = tonumber(v) return n ~= nil and n > 0 end',
    };
    const source = [
      '-- header',
      '--- @include "positive"',
      '  --- @include "add-maxlen"',
      "local args = { 'XADD' }",
      'addMaxLen(args, ARGV[1])',
      'return args',
    ].join('\n');
    const lua = expandIncludes(source, includes);
    expect(lua).not.toContain('@include');
    expect(lua.match(/local function positive/g)).toHaveLength(1);
    const set = luaScripts('kitTest', { 'build-args-0': source }, includes);
    expect(set['build-args-0'].lua).toBe(lua);
    expect(await runScript(redis, set['build-args-0'], [], ['5'])).toEqual(['XADD', 'MAXLEN', '5']);
    expect(await runScript(redis, set['build-args-0'], [], ['0'])).toEqual(['XADD']);
  });

  it('refuses an unknown include and an include cycle', () => {
    expect(() => expandIncludes('--- @include "nope"', {}, 'x-0.lua')).toThrow(
      'x-0.lua: unknown include "nope"',
    );
    expect(() =>
      expandIncludes('--- @include "a"', { a: '--- @include "b"', b: '--- @include "a"' }, 'x-0.lua'),
    ).toThrow('include cycle a → b → a');
  });

  it('queues a defined script on a pipeline, and evals a one-shot script without defining it', async () => {
    const set = luaScripts('kitTest', { 'echo-1': 'return { KEYS[1], ARGV[1] }', 'once-0': 'return 7' });
    const p = uniquePrefix('kit-pipe');
    defineScript(redis, set['echo-1']);
    const pipeline = redis.pipeline();
    queueScript(pipeline, set['echo-1'], [`${p}k`], ['v']);
    queueScript(pipeline, set['echo-1'], [`${p}k2`], ['w']);
    expect(await pipeline.exec()).toEqual([
      [null, [`${p}k`, 'v']],
      [null, [`${p}k2`, 'w']],
    ]);
    expect(await evalScript(redis, set['once-0'], [])).toBe(7);
    const command = set['once-0'].command;
    expect((redis as unknown as Record<string, unknown>)[command]).toBeUndefined();
  });

  it('runs a variable-key script (`<name>-n`) with any number of keys, each call sending its own count', async () => {
    const set = luaScripts('kitTest', {
      'counts-n': COUNTS,
      'echo-all-n': 'return { KEYS[#KEYS], ARGV[1] }',
    });
    expect(set['counts-n'].numberOfKeys).toBeUndefined();
    const p = uniquePrefix('kit-var');
    const keys = Array.from({ length: 1200 }, (_, i) => `${p}${i}`);
    // The same command with 0, 1 and 1 200 keys: a fixed count would shift keys into ARGV or ARGV into KEYS.
    expect(await runScript(redis, set['counts-n'], [], ['a'])).toEqual([0, 1]);
    expect(await runScript(redis, set['counts-n'], [`${p}a`], ['a', 'b'])).toEqual([1, 2]);
    expect(await runScript(redis, set['counts-n'], keys, ['a', 'b', 'c'])).toEqual([1200, 3]);
    defineScript(redis, set['echo-all-n']);
    const pipeline = redis.pipeline();
    queueScript(pipeline, set['echo-all-n'], [`${p}x`, `${p}y`], ['v']);
    queueScript(pipeline, set['echo-all-n'], [`${p}z`], ['w']);
    expect(await pipeline.exec()).toEqual([
      [null, [`${p}y`, 'v']],
      [null, [`${p}z`, 'w']],
    ]);
    expect(await evalScript(redis, set['counts-n'], [`${p}a`, `${p}b`], ['x'])).toEqual([2, 1]);
    // Variable and fixed key counts are different commands even with the same source.
    expect(luaScript('p', 'a-n', 'return 1').command).not.toBe(luaScript('p', 'a-1', 'return 1').command);
  });
});

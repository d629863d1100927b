import { createHash } from 'node:crypto';
import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from './cluster.js';

/**
 * The key count a file name ends with: `dead-letter-2` → 2; `settle-many-n` → `number` (a variable-key script:
 * the caller passes as many keys as it needs, counted per call).
 */
export type KeyCount<F extends string> = F extends `${string}-${infer Rest}`
  ? Rest extends `${infer N extends number}`
    ? N
    : Rest extends 'n'
      ? number
      : KeyCount<Rest>
  : never;

type Tuple<N extends number, T extends string[] = []> = [N] extends [never]
  ? never
  : number extends N
    ? string[]
    : T['length'] extends N
      ? T
      : Tuple<N, [...T, string]>;

/** The keys a script takes: a tuple as long as its file name says; any number of keys for a `<name>-n` script. */
export type ScriptKeys<F extends string> = Readonly<Tuple<KeyCount<F>>> & readonly string[];

/** One script, ready to register. */
export interface LuaScript<F extends string = string> {
  /** The file name it came from, `<name>-<numKeys>` or `<name>-n`. */
  readonly file: F;
  /**
   * Number of KEYS, read from the file name; `undefined` for a variable-key script (`<name>-n`), whose callers
   * pass any number of keys and the layer sends their count with each call.
   */
  readonly numberOfKeys: number | undefined;
  /** The source with every include expanded: what Redis runs. */
  readonly lua: string;
  /**
   * The command name it is registered under: the set's prefix, the script's name and a hash of its content, so
   * a changed script never runs under an old name and two versions of a package sharing a client never collide.
   */
  readonly command: string;
}

const INCLUDE = /^[ \t]*---[ \t]*@include[ \t]+"([^"]+)"[ \t]*$/gm;
const FILE_NAME = /^([a-z0-9]+(?:-[a-z0-9]+)*)-(\d+|n)$/;

/**
 * Replaces every `--- @include "name"` line of `source` with the fragment `includes[name]` (itself expanded;
 * each fragment at most once per script, so two fragments may include a third). Throws on an unknown name or an
 * include cycle: both are mistakes in the package's own scripts.
 */
export function expandIncludes(
  source: string,
  includes: Readonly<Record<string, string>>,
  file = 'script',
): string {
  const done = new Set<string>();
  const expand = (text: string, stack: readonly string[]): string =>
    text.replace(INCLUDE, (_line, name: string) => {
      if (stack.includes(name)) throw new Error(`${file}: include cycle ${[...stack, name].join(' → ')}`);
      const fragment = includes[name];
      if (fragment === undefined) throw new Error(`${file}: unknown include "${name}"`);
      if (done.has(name)) return `-- (${name} included above)`;
      done.add(name);
      return expand(fragment, [...stack, name]).replace(/\n+$/, '');
    });
  return expand(source, []);
}

function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Parses one script file: key count from its name, includes expanded, command name from its content. A name
 * ending in `-n` (`publish-many-n`) makes a variable-key script: every call passes its own keys, however many
 * (all in one hash slot on a Cluster, as for any script), and the layer sends their count.
 */
export function luaScript<F extends string>(
  prefix: string,
  file: F,
  source: string,
  includes: Readonly<Record<string, string>> = {},
): LuaScript<F> {
  const match = FILE_NAME.exec(file);
  if (!match) throw new Error(`script file "${file}" is not named <name>-<numKeys> or <name>-n`);
  const [, name = '', keys = '0'] = match;
  const numberOfKeys = keys === 'n' ? undefined : Number(keys);
  const lua = expandIncludes(source, includes, `${file}.lua`);
  const hash = createHash('sha1')
    .update(`${numberOfKeys ?? 'n'}\n${lua}`)
    .digest('hex')
    .slice(0, 12);
  const base = camelCase(name);
  return {
    file,
    numberOfKeys,
    lua,
    command: `${prefix}${base.charAt(0).toUpperCase()}${base.slice(1)}_${hash}`,
  };
}

type ScriptFn = (...args: (string | number)[]) => Promise<unknown>;

/** Every script of a package by file name, each typed with its file name (and so its key count). */
export type LuaScripts<F extends string> = { readonly [K in F]: LuaScript<K> };

/**
 * A package's Lua scripts: one entry per file under its `lua/` folder, keyed by file name.
 * @param prefix - starts every command name (e.g. `chatConsumer`), so the package a command belongs to shows.
 * @param files - script sources by file name, `<name>-<numKeys>` (`dead-letter-2` for `lua/dead-letter-2.lua`),
 *   or `<name>-n` for a script that takes a variable number of keys.
 * @param includes - fragments by name (`lua/includes/<name>.lua`), for `--- @include "<name>"` lines.
 */
export function luaScripts<F extends string>(
  prefix: string,
  files: Readonly<Record<F, string>>,
  includes: Readonly<Record<string, string>> = {},
): LuaScripts<F> {
  const scripts = {} as Record<F, LuaScript>;
  for (const file of Object.keys(files) as F[])
    scripts[file] = luaScript(prefix, file, files[file], includes);
  return Object.freeze(scripts) as LuaScripts<F>;
}

/**
 * Registers `script` on `redis` with ioredis `defineCommand` (EVALSHA, falling back to EVAL once per
 * connection) unless it already is, and returns its command name. A pipeline offers only the commands its client
 * had when it was created, so define before creating one; {@link runScript} defines by itself.
 */
export function defineScript(redis: RedisClient, script: LuaScript): string {
  if (typeof (redis as unknown as Record<string, unknown>)[script.command] !== 'function') {
    // Without numberOfKeys ioredis expects the count as the first argument: {@link scriptArgs} puts it there.
    const definition =
      script.numberOfKeys === undefined
        ? { lua: script.lua }
        : { numberOfKeys: script.numberOfKeys, lua: script.lua };
    redis.defineCommand(script.command, definition);
  }
  return script.command;
}

/**
 * Runs `script` with `keys` (as many as its file name says, any number for a `<name>-n` script) and `args`: one
 * EVALSHA round trip.
 */
export function runScript<F extends string>(
  redis: RedisClient,
  script: LuaScript<F>,
  keys: ScriptKeys<F>,
  args: readonly (string | number)[] = [],
): Promise<unknown> {
  const fn = (redis as unknown as Record<string, ScriptFn>)[defineScript(redis, script)]!;
  return fn.apply(redis, scriptArgs(script, keys, args));
}

/** {@link runScript} bound to one package's scripts: `run(redis, fileName, keys, args)`, typed by file name. */
export type ScriptRunner<F extends string> = <N extends F>(
  redis: RedisClient,
  name: N,
  keys: ScriptKeys<N>,
  args?: readonly (string | number)[],
) => Promise<unknown>;

/**
 * Binds {@link runScript} to a package's scripts, so each package runs its scripts by file name (EVALSHA under a
 * content-derived name, keys counted from the file name) without writing the same wrapper again.
 */
export function scriptRunner<F extends string>(scripts: LuaScripts<F>): ScriptRunner<F> {
  return (redis, name, keys, args = []) => runScript(redis, scripts[name], keys, args);
}

/** Queues `script` on `pipeline`, whose client must have it defined ({@link defineScript}) before the pipeline was made. */
export function queueScript<F extends string>(
  pipeline: ChainableCommander,
  script: LuaScript<F>,
  keys: ScriptKeys<F>,
  args: readonly (string | number)[] = [],
): void {
  const fn = (pipeline as unknown as Record<string, ScriptFn | undefined>)[script.command];
  if (typeof fn !== 'function')
    throw new Error(`script ${script.file} is not defined on the pipeline's client`);
  fn.apply(pipeline, scriptArgs(script, keys, args));
}

/**
 * Runs `script` with plain EVAL, sending its text every time: for a script run once per process, where caching
 * it under a SHA saves nothing.
 */
export function evalScript<F extends string>(
  redis: RedisClient,
  script: LuaScript<F>,
  keys: ScriptKeys<F>,
  args: readonly (string | number)[] = [],
): Promise<unknown> {
  assertKeys(script, keys);
  return redis.eval(script.lua, keys.length, ...keys, ...args);
}

/** The arguments of a defined command: a variable-key script's key count first, then keys, then args. */
function scriptArgs(
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): (string | number)[] {
  assertKeys(script, keys);
  const all: (string | number)[] = script.numberOfKeys === undefined ? [keys.length] : [];
  for (const key of keys) all.push(key);
  for (const arg of args) all.push(arg);
  return all;
}

function assertKeys(script: LuaScript, keys: readonly string[]): void {
  // A wrong count would silently shift keys into ARGV; the types catch it, this catches casts.
  if (script.numberOfKeys !== undefined && keys.length !== script.numberOfKeys) {
    throw new RangeError(`${script.file} takes ${script.numberOfKeys} keys, got ${keys.length}`);
  }
}

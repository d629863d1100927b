import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uniquePrefix } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const packagesDir = fileURLToPath(new URL('../../', import.meta.url));
const packageDirs = {
  schema: join(packagesDir, 'completion-schema'),
  publisher: join(packagesDir, 'completion-publisher'),
};

/** Child processes get a clean npm environment: settings pnpm exports for its own run must not leak in. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(npm_|pnpm_)/i.test(key)),
  ) as NodeJS.ProcessEnv;
}

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, {
    cwd,
    env: cleanEnv(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const ESM_SCRIPT = `
import { createPublisher } from '@chat/completion-publisher';
import { decode } from '@chat/completion-schema';
import { Redis } from 'ioredis';
const [url, stream] = process.argv.slice(2);
const publisher = createPublisher({ url, stream });
const id = await publisher.publish({ operation_id: 'esm-1', task_id: 't-esm', success: true, result: { via: 'esm' } });
await publisher.close();
const redis = new Redis(url);
const [[, fields]] = await redis.xrange(stream, id, id);
await redis.quit();
process.stdout.write(JSON.stringify({ id, decoded: decode(fields) }));
`;

const CJS_SCRIPT = `
const { createPublisher, MessageValidationError } = require('@chat/completion-publisher');
const { decode } = require('@chat/completion-schema');
const { Redis } = require('ioredis');
const [url, stream] = process.argv.slice(2);
(async () => {
  const publisher = createPublisher({ url, stream });
  const invalid = await publisher.publish({ operation_id: '', task_id: 't', success: true }).catch((e) => e);
  if (!MessageValidationError.isInstance(invalid)) throw new Error('expected a MessageValidationError');
  const id = await publisher.publish({ operation_id: 'cjs-1', task_id: 't-cjs', success: false, error: 'via cjs' });
  await publisher.close();
  const redis = new Redis(url);
  const [[, fields]] = await redis.xrange(stream, id, id);
  await redis.quit();
  process.stdout.write(JSON.stringify({ id, decoded: decode(fields) }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

describe('installed from tarballs into a project outside the workspace', () => {
  let scratch: string;
  const redis = new Redis(inject('redisUrl'));

  beforeAll(() => {
    // The test command builds first; a checkout running only this file builds here.
    const built = ['schema', 'publisher'].every((name) =>
      existsSync(join(packageDirs[name as keyof typeof packageDirs], 'dist', 'index.js')),
    );
    if (!built) run('pnpm', ['--filter', '@chat/completion-publisher...', 'run', 'build'], packagesDir);

    scratch = mkdtempSync(join(tmpdir(), 'chat-publisher-install-'));
    const tarballs = join(scratch, 'tarballs');
    mkdirSync(tarballs);
    for (const dir of Object.values(packageDirs)) run('pnpm', ['pack', '--pack-destination', tarballs], dir);
    const files = readdirSync(tarballs).map((name) => join(tarballs, name));
    expect(files).toHaveLength(2);

    const project = join(scratch, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch-producer', private: true }));
    // ioredis comes from the registry, as in a real producer; the schema tarball satisfies the publisher's dependency.
    run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files, 'ioredis@5.11.1'],
      project,
    );
    writeFileSync(join(project, 'publish.mjs'), ESM_SCRIPT);
    writeFileSync(join(project, 'publish.cjs'), CJS_SCRIPT);
  }, 180_000);

  afterAll(async () => {
    await redis.quit();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it.each([
    ['ESM import', 'publish.mjs', { operation_id: 'esm-1', success: true, result: { via: 'esm' } }],
    ['CJS require', 'publish.cjs', { operation_id: 'cjs-1', success: false, error: 'via cjs' }],
  ])(
    'publishes through %s',
    async (_, script, expected) => {
      const stream = `${uniquePrefix('installed')}completions`;
      const project = join(scratch, 'project');
      const out = run(process.execPath, [script, inject('redisUrl'), stream], project);
      // The installed schema package decodes what the installed publisher wrote.
      const { id, decoded } = JSON.parse(out) as { id: string; decoded: unknown };
      expect(decoded).toMatchObject({ ok: true, message: expected });
      const entries = (await redis.xrange(stream, '-', '+')) as [string, string[]][];
      expect(entries.map(([entryId]) => entryId)).toEqual([id]);
      expect(JSON.parse(entries[0]![1][1]!)).toMatchObject(expected);
    },
    60_000,
  );

  it('installs nothing beyond the schema package, zod and ioredis at runtime', () => {
    const project = join(scratch, 'project');
    const manifest = JSON.parse(
      run(
        process.execPath,
        ['-p', 'JSON.stringify(require("@chat/completion-publisher/package.json"))'],
        project,
      ),
    ) as { dependencies: Record<string, string>; peerDependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['@chat/completion-schema', 'zod']);
    expect(manifest.dependencies['@chat/completion-schema']).toMatch(/^\^\d/);
    expect(manifest.peerDependencies).toEqual({ '@opentelemetry/api': '^1', ioredis: '^5' });
  });
});

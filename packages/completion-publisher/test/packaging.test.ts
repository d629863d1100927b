import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installScratchProject, runIn, type ScratchProject, uniquePrefix } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const packagesDir = fileURLToPath(new URL('../../', import.meta.url));
const packageDirs = {
  schema: join(packagesDir, 'completion-schema'),
  publisher: join(packagesDir, 'completion-publisher'),
};

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
  let scratch: ScratchProject;
  const redis = new Redis(inject('redisUrl'));

  beforeAll(() => {
    // The test command builds first; a checkout running only this file builds here.
    const built = ['schema', 'publisher'].every((name) =>
      existsSync(join(packageDirs[name as keyof typeof packageDirs], 'dist', 'index.js')),
    );
    if (!built) runIn(packagesDir, 'pnpm', ['--filter', '@chat/completion-publisher...', 'run', 'build']);
    // ioredis and zod come from the registry, as in a real producer; the schema tarball satisfies the publisher's
    // dependency.
    scratch = installScratchProject({
      name: 'chat-publisher-install',
      packageDirs: Object.values(packageDirs),
      fromRegistry: ['ioredis@5.11.1', 'zod@4.6.7'],
    });
    expect(scratch.tarballs).toHaveLength(2);
    writeFileSync(join(scratch.dir, 'publish.mjs'), ESM_SCRIPT);
    writeFileSync(join(scratch.dir, 'publish.cjs'), CJS_SCRIPT);
  }, 180_000);

  afterAll(async () => {
    await redis.quit();
    scratch?.remove();
  });

  it.each([
    ['ESM import', 'publish.mjs', { operation_id: 'esm-1', success: true, result: { via: 'esm' } }],
    ['CJS require', 'publish.cjs', { operation_id: 'cjs-1', success: false, error: 'via cjs' }],
  ])(
    'publishes through %s',
    async (_, script, expected) => {
      const stream = `${uniquePrefix('installed')}completions`;
      const out = runIn(scratch.dir, process.execPath, [script, inject('redisUrl'), stream]);
      // The installed schema package decodes what the installed publisher wrote.
      const { id, decoded } = JSON.parse(out) as { id: string; decoded: unknown };
      expect(decoded).toMatchObject({ ok: true, message: expected });
      const entries = (await redis.xrange(stream, '-', '+')) as [string, string[]][];
      expect(entries.map(([entryId]) => entryId)).toEqual([id]);
      expect(JSON.parse(entries[0]![1][1]!)).toMatchObject(expected);
    },
    60_000,
  );

  it("installs nothing beyond the schema package at runtime; ioredis and zod are the app's own (peers)", () => {
    const manifest = JSON.parse(
      runIn(scratch.dir, process.execPath, [
        '-p',
        'JSON.stringify(require("@chat/completion-publisher/package.json"))',
      ]),
    ) as { dependencies: Record<string, string>; peerDependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies)).toEqual(['@chat/completion-schema']);
    expect(manifest.dependencies['@chat/completion-schema']).toMatch(/^\^\d/);
    expect(manifest.peerDependencies).toEqual({
      '@opentelemetry/api': '^1',
      ioredis: '^5.0.0 || ^6.0.0',
      zod: '^4.0.0',
    });
  });
});

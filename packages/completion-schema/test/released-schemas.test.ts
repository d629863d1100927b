import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jsonSchemaFileName, SCHEMA_VERSION } from '../src/index.js';

const schemaDir = new URL('../schema/', import.meta.url);
const released: Record<string, string> = JSON.parse(
  readFileSync(new URL('released.json', schemaDir), 'utf8'),
);
const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, unknown>;
  files: string[];
};
const sha256 = (file: string) =>
  createHash('sha256')
    .update(readFileSync(new URL(file, schemaDir)))
    .digest('hex');

// Producers in other languages pin these files; one changed after release would silently move their contract.
describe('released JSON Schema files (schema/released.json)', () => {
  it('lists at least the v1 file', () => {
    expect(Object.keys(released)).toContain('operation-complete.v1.json');
  });

  it.each(Object.entries(released))('%s is byte for byte what was released', (file, lockedHash) => {
    expect(existsSync(new URL(file, schemaDir)), `schema/${file} was released and must stay`).toBe(true);
    expect(
      sha256(file),
      `schema/${file} changed after release. Restore it, bump SCHEMA_VERSION (minor for a new optional field, ` +
        'major for a new required field or a changed type) and run `pnpm generate:json-schema`, which writes ' +
        'the new version to its own file',
    ).toBe(lockedHash);
  });

  it.each(Object.keys(released))('%s is shipped and exported', (file) => {
    expect(manifest.files).toContain('schema');
    expect(manifest.exports[`./schema/${file}`]).toBe(`./schema/${file}`);
  });

  it('every schema file in the package is a contract version: released, or the one in development', () => {
    const versionFiles = readdirSync(schemaDir).filter((f) => f.startsWith('operation-complete.'));
    const current = jsonSchemaFileName(SCHEMA_VERSION);
    for (const file of versionFiles) expect([...Object.keys(released), current]).toContain(file);
    expect(versionFiles).toContain(current);
  });
});

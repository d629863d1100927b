// Writes schema/<file for SCHEMA_VERSION> from the zod schema. Run: pnpm generate:json-schema
// Refuses to rewrite a released file (listed in schema/released.json): bump SCHEMA_VERSION instead.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { buildOperationCompleteJsonSchema, jsonSchemaFileName, SCHEMA_VERSION } from '../src/index.js';

const name = jsonSchemaFileName(SCHEMA_VERSION);
const target = new URL(`../schema/${name}`, import.meta.url);
const text = `${JSON.stringify(buildOperationCompleteJsonSchema(), null, 2)}\n`;
const released: Record<string, string> = JSON.parse(
  readFileSync(new URL('../schema/released.json', import.meta.url), 'utf8'),
);
const locked = released[name];
if (locked !== undefined && createHash('sha256').update(text).digest('hex') !== locked) {
  console.error(
    `schema/${name} was released as schema_version ${SCHEMA_VERSION} and must not change. ` +
      'Bump SCHEMA_VERSION (minor for a new optional field, major for a new required field or a changed type) ' +
      'and run this again to write the new version beside it.',
  );
  process.exit(1);
}
if (existsSync(target) && readFileSync(target, 'utf8') === text) console.log(`schema/${name} is up to date`);
else {
  writeFileSync(target, text);
  console.log(`wrote schema/${name}`);
}

// Regenerates schema/operation-complete.v1.json from the zod schema. Run: pnpm generate:json-schema
import { writeFileSync } from 'node:fs';
import { buildOperationCompleteJsonSchema } from '../src/json-schema.js';

const target = new URL('../schema/operation-complete.v1.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(buildOperationCompleteJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);

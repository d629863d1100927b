// Node module hooks that load `*.lua` files as their source text, as the build's tsup loader does, so the
// example can run from the TypeScript source: node --import tsx --import ./examples/register-lua.mjs <file>
import { register } from 'node:module';

const hooks = `
import { readFile } from 'node:fs/promises';
export async function load(url, context, nextLoad) {
  if (!url.endsWith('.lua')) return nextLoad(url, context);
  const text = await readFile(new URL(url), 'utf8');
  return { format: 'module', source: 'export default ' + JSON.stringify(text) + ';', shortCircuit: true };
}
`;

register(`data:text/javascript,${encodeURIComponent(hooks)}`, import.meta.url);

// The one `.lua` loader outside the build: tsup embeds each script as text (`loader: { '.lua': 'text' }`); this
// does the same for code run from source, in vitest (`luaAsText` in vitest-project.mjs) and in plain Node
// (`node --import @chat/testing/register-lua`, which registers the `load` hook below).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The ES module a `.lua` file becomes: its text as the default export. */
export function luaModuleSource(path) {
  return `export default ${JSON.stringify(readFileSync(path, 'utf8'))};`;
}

/** Node module customization hook: loads `*.lua` URLs as {@link luaModuleSource}, everything else as usual. */
export async function load(url, context, nextLoad) {
  if (!url.endsWith('.lua')) return nextLoad(url, context);
  return { format: 'module', source: luaModuleSource(fileURLToPath(url)), shortCircuit: true };
}

// Plain JavaScript so vitest can load it from any package's config without a TypeScript loader.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

/** Loads `*.lua` files as strings, as tsup's `loader: { '.lua': 'text' }` does in the build. */
export function luaAsText() {
  return {
    name: 'chat-lua-as-text',
    enforce: 'pre',
    load(id) {
      if (!id.endsWith('.lua')) return null;
      return `export default ${JSON.stringify(readFileSync(id, 'utf8'))};`;
    },
  };
}

/** The vitest project config every workspace package uses: the shared redis globalSetup and `.lua` loading. */
export function chatTestProject(name, test = {}) {
  return defineProject({
    plugins: [luaAsText()],
    test: {
      name,
      globalSetup: [fileURLToPath(new URL('./global-setup.ts', import.meta.url))],
      testTimeout: test.testTimeout ?? 30_000,
      hookTimeout: 60_000,
      include: test.include ?? ['src/**/*.test.ts', 'test/**/*.test.ts'],
      ...(test.extra ?? {}),
    },
  });
}

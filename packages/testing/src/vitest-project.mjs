// Plain JavaScript so vitest can load it from any package's config without a TypeScript loader.
import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';
import { luaModuleSource } from './lua-loader.mjs';

/** Loads `*.lua` files as strings, as tsup's `loader: { '.lua': 'text' }` does in the build. */
export function luaAsText() {
  return {
    name: 'chat-lua-as-text',
    enforce: 'pre',
    load(id) {
      return id.endsWith('.lua') ? luaModuleSource(id) : null;
    },
  };
}

/**
 * `IOREDIS_MAJOR=6` runs a project against ioredis 6 (the root's `ioredis-v6` alias) instead of the workspace's
 * ioredis 5: every `import 'ioredis'` — in tests and in the packages' built `dist/` — resolves to it.
 */
export function ioredisAlias(major = process.env.IOREDIS_MAJOR) {
  if (major === undefined || major === '' || major === '5') return [];
  if (major !== '6') throw new Error(`IOREDIS_MAJOR must be 5 or 6, got ${JSON.stringify(major)}`);
  return [
    { find: /^ioredis$/, replacement: 'ioredis-v6' },
    { find: /^ioredis\/package\.json$/, replacement: 'ioredis-v6/package.json' },
  ];
}

/** The vitest project config every workspace package uses: the shared redis globalSetup and `.lua` loading. */
export function chatTestProject(name, test = {}) {
  return defineProject({
    plugins: [luaAsText()],
    resolve: { alias: ioredisAlias() },
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

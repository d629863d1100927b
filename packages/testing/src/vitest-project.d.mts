import type { UserWorkspaceConfig } from 'vitest/config';

/** Loads `*.lua` files as strings, as tsup's `loader: { '.lua': 'text' }` does in the build. */
export declare function luaAsText(): { name: string; enforce: 'pre'; load(id: string): string | null };

/** Resolve aliases that swap ioredis 5 for ioredis 6 when `IOREDIS_MAJOR=6`; none otherwise. */
export declare function ioredisAlias(major?: string): { find: RegExp; replacement: string }[];

/** The vitest project config every workspace package uses: the shared redis globalSetup and `.lua` loading. */
export declare function chatTestProject(
  name: string,
  test?: { testTimeout?: number; include?: string[]; extra?: Record<string, unknown> },
): UserWorkspaceConfig;

import type { UserWorkspaceConfig } from 'vitest/config';

/** Loads `*.lua` files as strings, as tsup's `loader: { '.lua': 'text' }` does in the build. */
export declare function luaAsText(): { name: string; enforce: 'pre'; load(id: string): string | null };

/** The vitest project config every workspace package uses: the shared redis globalSetup and `.lua` loading. */
export declare function chatTestProject(
  name: string,
  test?: { testTimeout?: number; include?: string[]; extra?: Record<string, unknown> },
): UserWorkspaceConfig;

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The environment for npm/node children: settings pnpm exports for its own run must not leak into them. */
export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(npm_|pnpm_)/i.test(key)),
  ) as NodeJS.ProcessEnv;
}

/** Runs a command to completion in `cwd` with {@link cleanEnv}; returns its stdout, throws with all it printed. */
export function runIn(cwd: string, command: string, args: string[]): string {
  try {
    return execFileSync(command, args, {
      cwd,
      env: cleanEnv(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    // tsc prints its diagnostics on stdout: keep both streams in the message a failing test shows.
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}${stderr ?? ''}`, {
      cause: error,
    });
  }
}

/** A project outside the workspace with the packed workspace packages installed, as a user would have it. */
export interface ScratchProject {
  /** The project's directory (holds `package.json` and `node_modules`). */
  readonly dir: string;
  /** The tarballs that were installed. */
  readonly tarballs: readonly string[];
  /** Removes everything. Idempotent. */
  remove(): void;
}

/**
 * Packs each workspace package (`pnpm pack`, so `workspace:` ranges become real ones) and `npm install`s the
 * tarballs into a new project together with `fromRegistry` (e.g. `ioredis@6.0.0`), as a real application would.
 */
export function installScratchProject(options: {
  packageDirs: readonly string[];
  fromRegistry: readonly string[];
  name?: string;
}): ScratchProject {
  const root = mkdtempSync(join(tmpdir(), `${options.name ?? 'chat-scratch'}-`));
  const tarballDir = join(root, 'tarballs');
  mkdirSync(tarballDir);
  for (const dir of options.packageDirs) runIn(dir, 'pnpm', ['pack', '--pack-destination', tarballDir]);
  const tarballs = readdirSync(tarballDir).map((file) => join(tarballDir, file));
  const dir = join(root, 'project');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: options.name ?? 'chat-scratch', private: true, type: 'module' }),
  );
  runIn(dir, 'npm', [
    'install',
    '--no-audit',
    '--no-fund',
    '--loglevel=error',
    ...tarballs,
    ...options.fromRegistry,
  ]);
  return { dir, tarballs, remove: () => rmSync(root, { recursive: true, force: true }) };
}

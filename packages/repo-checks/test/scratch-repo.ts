import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Repository root of this workspace, where the scripts under test live. */
export const WORKSPACE_ROOT = new URL('../../../', import.meta.url).pathname;

// A fixed identity and no user or system config, so a developer's git setup (signing, hooks) cannot leak in.
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};

/** The outcome of running a script in a scratch repository. */
export interface ScriptRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A throwaway git repository on disk, for testing scripts against real history. */
export class ScratchRepo {
  readonly dir: string;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'chat-repo-checks-'));
    this.git('init', '--quiet', '--initial-branch=main');
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.dir, env: GIT_ENV, encoding: 'utf8' }).trim();
  }

  write(path: string, content: string): this {
    const file = join(this.dir, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    return this;
  }

  remove(path: string): this {
    unlinkSync(join(this.dir, path));
    return this;
  }

  /** Stages everything and commits; returns the new commit's hash. */
  commit(message: string): string {
    this.git('add', '--all');
    this.git('commit', '--quiet', '--allow-empty', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }

  /** Runs a Node script from the workspace with this repository as its working directory. */
  run(script: string, ...args: string[]): ScriptRun {
    const result = spawnSync(process.execPath, [join(WORKSPACE_ROOT, script), ...args], {
      cwd: this.dir,
      env: GIT_ENV,
      encoding: 'utf8',
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

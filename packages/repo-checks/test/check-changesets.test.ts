import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScratchRepo } from './scratch-repo.js';

const SCRIPT = 'scripts/check-changesets.mjs';

const manifest = (name: string, extra: Record<string, unknown> = {}) =>
  `${JSON.stringify({ name, version: '1.0.0', ...extra }, null, 2)}\n`;
const changeset = (...names: string[]) =>
  `---\n${names.map((n) => `"${n}": patch`).join('\n')}\n---\n\nA change worth a line in the changelog.\n`;

/** A small monorepo shaped like ours: two published packages, a private package and a private app. */
function seedMonorepo(repo: ScratchRepo): void {
  repo
    .write('package.json', manifest('root', { private: true }))
    .write('pnpm-workspace.yaml', "packages:\n  - 'packages/*'\n  - apps/*\nallowBuilds:\n  esbuild: true\n")
    .write('.changeset/README.md', '# Changesets\n')
    .write('.changeset/config.json', '{}\n')
    .write('packages/widget/package.json', manifest('@demo/widget'))
    .write('packages/widget/src/index.ts', 'export const widget = 1;\n')
    .write('packages/gadget/package.json', manifest('@demo/gadget'))
    .write('packages/gadget/src/index.ts', 'export const gadget = 1;\n')
    .write('packages/gadget/schema/gadget.v1.json', '{}\n')
    .write('packages/helpers/package.json', manifest('@demo/helpers', { private: true }))
    .write('packages/helpers/src/index.ts', 'export const helper = 1;\n')
    .write('apps/worker/package.json', manifest('@demo/worker', { private: true }))
    .write('apps/worker/src/main.ts', 'export {};\n');
  repo.commit('initial import');
}

describe('check-changesets', () => {
  let repo: ScratchRepo;
  beforeEach(() => {
    repo = new ScratchRepo();
    seedMonorepo(repo);
  });
  afterEach(() => repo.dispose());

  it('passes on a fresh repository: what the root commit holds is the baseline', () => {
    const run = repo.run(SCRIPT);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('since the root commit');
  });

  it('fails naming each published package whose src changed without a changeset, and only those', () => {
    repo
      .write('packages/widget/src/index.ts', 'export const widget = 2;\n')
      .write('packages/helpers/src/index.ts', 'export const helper = 2;\n')
      .write('apps/worker/src/main.ts', 'export const x = 1;\n')
      .write('packages/gadget/README.md', '# gadget\n');
    repo.commit('change widget, private packages and a README');
    const run = repo.run(SCRIPT);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('@demo/widget');
    expect(run.stderr).toContain('packages/widget/src/index.ts');
    expect(run.stderr).toContain('"@demo/widget": patch');
    expect(run.stderr).not.toContain('@demo/gadget');
    expect(run.stderr).not.toContain('@demo/helpers');
    expect(run.stderr).not.toContain('@demo/worker');
  });

  it('counts a bundled private package as part of every published package whose source imports it', () => {
    repo
      .write(
        'packages/widget/package.json',
        manifest('@demo/widget', { devDependencies: { '@demo/helpers': 'workspace:*' } }),
      )
      .write(
        'packages/widget/src/index.ts',
        "import { helper } from '@demo/helpers';\nexport const widget = helper;\n",
      )
      .write(
        'packages/gadget/package.json',
        manifest('@demo/gadget', { devDependencies: { '@demo/helpers': 'workspace:*' } }),
      )
      .write('packages/gadget/src/gadget.test.ts', "import { helper } from '@demo/helpers';\n")
      .write('.changeset/widget-uses-helpers.md', changeset('@demo/widget'));
    repo.commit('widget bundles helpers; gadget only tests with it');
    expect(repo.run(SCRIPT).status).toBe(0);

    repo.write('packages/helpers/src/index.ts', 'export const helper = 2;\n');
    repo.commit('change the bundled helpers, forget the changeset');
    const run = repo.run(SCRIPT, 'HEAD~1');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('@demo/helpers, bundled into @demo/widget:');
    expect(run.stderr).toContain('packages/helpers/src/index.ts');
    expect(run.stderr).toContain('"@demo/widget": patch');
    expect(run.stderr).not.toContain('@demo/gadget');

    repo.write('.changeset/helpers-two.md', changeset('@demo/widget'));
    repo.commit('the changeset');
    const fixed = repo.run(SCRIPT, 'HEAD~2');
    expect(fixed.stderr).toBe('');
    expect(fixed.status).toBe(0);
    expect(fixed.stdout).toContain(
      '0 published package(s) changed (1 bundled private package(s) with them), 1 changeset',
    );
  });

  it('passes once a changeset added in the range names the package', () => {
    repo.write('packages/widget/src/index.ts', 'export const widget = 2;\n');
    repo.commit('change widget');
    expect(repo.run(SCRIPT).status).toBe(1);
    repo.write('.changeset/brave-cats.md', changeset('@demo/widget'));
    repo.commit('add a changeset');
    const run = repo.run(SCRIPT);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('1 published package(s) changed, 1 changeset(s) added');
  });

  it('does not accept a changeset that names a different package', () => {
    repo
      .write('packages/widget/src/index.ts', 'export const widget = 2;\n')
      .write('packages/gadget/src/index.ts', 'export const gadget = 2;\n')
      .write('.changeset/only-gadget.md', changeset('@demo/gadget'));
    repo.commit('change both, describe one');
    const run = repo.run(SCRIPT);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('- @demo/widget');
    expect(run.stderr).not.toContain('- @demo/gadget');
  });

  it('counts schema/ as shipped source, but not tests or fixtures beside the code', () => {
    repo
      .write('packages/widget/src/index.test.ts', 'test\n')
      .write('packages/widget/src/fixtures/a.json', '{}\n');
    repo.commit('tests only');
    expect(repo.run(SCRIPT).status).toBe(0);
    repo.write('packages/gadget/schema/gadget.v1.json', '{"type":"object"}\n');
    repo.commit('edit a schema');
    const run = repo.run(SCRIPT);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('@demo/gadget');
    expect(run.stderr).not.toContain('@demo/widget');
  });

  it('counts only changes after the last commit that consumed changesets', () => {
    repo
      .write('packages/widget/src/index.ts', 'export const widget = 2;\n')
      .write('.changeset/brave-cats.md', changeset('@demo/widget'));
    repo.commit('change widget with a changeset');
    // What `changeset version` commits: the changeset deleted, a CHANGELOG written, the version bumped.
    repo
      .remove('.changeset/brave-cats.md')
      .write('packages/widget/CHANGELOG.md', '# @demo/widget\n\n## 1.0.1\n\n- A change.\n')
      .write('packages/widget/package.json', manifest('@demo/widget', { version: '1.0.1' }));
    const versionCommit = repo.commit('Version Packages');
    const afterVersion = repo.run(SCRIPT);
    expect(afterVersion.status).toBe(0);
    expect(afterVersion.stdout).toContain(versionCommit.slice(0, 9));
    expect(afterVersion.stdout).toContain('0 published package(s) changed');

    repo.write('packages/gadget/src/index.ts', 'export const gadget = 2;\n');
    repo.commit('change gadget, forget the changeset');
    const run = repo.run(SCRIPT);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${versionCommit.slice(0, 9)}..`);
    expect(run.stderr).toContain('- @demo/gadget');
    // The widget change was released by the version commit, so it needs no new changeset.
    expect(run.stderr).not.toContain('@demo/widget');
  });

  it('treats a commit that only deletes changesets as consuming them', () => {
    repo
      .write('packages/widget/src/index.ts', 'export const widget = 2;\n')
      .write('.changeset/brave-cats.md', changeset('@demo/widget'));
    repo.commit('change widget with a changeset');
    repo.remove('.changeset/brave-cats.md');
    const consumed = repo.commit('consume changesets');
    const run = repo.run(SCRIPT);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(consumed.slice(0, 9));
  });

  it('does not take a CHANGELOG written by hand (a baseline) for a release: pending work stays in the range', () => {
    repo
      .write('packages/widget/src/index.ts', 'export const widget = 2;\n')
      .write('.changeset/brave-cats.md', changeset('@demo/widget'));
    repo.commit('change widget with a changeset');
    repo.write('packages/gadget/src/index.ts', 'export const gadget = 2;\n');
    repo.commit('change gadget, forget the changeset');
    // A package's first CHANGELOG recording the version it starts from: no changeset is consumed by it.
    repo.write('packages/gadget/CHANGELOG.md', '# @demo/gadget\n\n## 1.0.0\n\nBaseline.\n');
    repo.commit('gadget: a CHANGELOG recording the baseline');
    const run = repo.run(SCRIPT);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('- @demo/gadget');
    expect(run.stderr).not.toContain('- @demo/widget');
    repo.write('.changeset/calm-dogs.md', changeset('@demo/gadget'));
    repo.commit('add the missing changeset');
    const fixed = repo.run(SCRIPT);
    expect(fixed.status).toBe(0);
    expect(fixed.stdout).toContain('2 published package(s) changed, 2 changeset(s) added');
  });

  it('checks a package that appears later, found by its package.json alone', () => {
    repo.write('packages/newcomer/package.json', manifest('@demo/newcomer'));
    repo.write('packages/newcomer/src/index.ts', 'export {};\n');
    repo.commit('a new published package');
    const run = repo.run(SCRIPT);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('@demo/newcomer');
  });

  it('ignores uncommitted changes', () => {
    repo.write('packages/widget/src/index.ts', 'export const widget = 3;\n');
    expect(repo.run(SCRIPT).status).toBe(0);
  });

  it('accepts an explicit range', () => {
    const before = repo.git('rev-parse', 'HEAD');
    repo.write('packages/widget/src/index.ts', 'export const widget = 2;\n');
    repo.commit('change widget');
    const after = repo.commit('nothing');
    expect(repo.run(SCRIPT, `${before}..${after}`).status).toBe(1);
    expect(repo.run(SCRIPT, `${after}..HEAD`).status).toBe(0);
    expect(repo.run(SCRIPT, after).status).toBe(0);
    const bad = repo.run(SCRIPT, 'no-such-ref..HEAD');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("cannot resolve range 'no-such-ref..HEAD'");
  });

  it('explains a changeset whose frontmatter a Markdown formatter rewrote as a heading', () => {
    repo
      .write('packages/widget/src/index.ts', 'export const widget = 2;\n')
      .write('.changeset/mangled.md', '---\n\n## "@demo/widget": patch\n\nA change.\n');
    repo.commit('mangled changeset');
    const run = repo.run(SCRIPT);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      '.changeset/mangled.md: its frontmatter was rewritten as a Markdown heading',
    );
  });

  it('rejects a changeset without frontmatter with a message naming the file', () => {
    repo
      .write('packages/widget/src/index.ts', 'export const widget = 2;\n')
      .write('.changeset/broken.md', 'forgot the frontmatter\n');
    repo.commit('broken changeset');
    const run = repo.run(SCRIPT);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('.changeset/broken.md');
    expect(run.stderr).toContain('frontmatter');
  });
});

#!/usr/bin/env node
// Fails when a published workspace package's shipped source (src/ or schema/) changed in a commit range and no
// changeset added in that range names it. Without an argument the range starts at the last commit that consumed
// changesets (a `changeset version` commit), so it works on a plain clone of main with no remote. A private
// package that published ones bundle (their shipped source imports it, e.g. @chat/redis-kit) ships with them: a
// change to its src/ needs a changeset naming at least one of those published packages.
//
//   node scripts/check-changesets.mjs                      # last consumption commit (or root commit)..HEAD
//   node scripts/check-changesets.mjs origin/main          # origin/main..HEAD
//   node scripts/check-changesets.mjs v1.2.0..my-branch    # any explicit range
//
// Only committed history counts: uncommitted changes are ignored. Plain Node, no dependencies.
import { execFileSync } from 'node:child_process';

const SOURCE_DIRS = ['src/', 'schema/'];
// Tests live beside the code but are never shipped, so changing only a test needs no release.
const NOT_SHIPPED = [/\.test\.[cm]?[jt]sx?$/, /(^|\/)__tests__\//, /(^|\/)fixtures\//];
const CHANGESET_FILE = /^\.changeset\/[^/]+\.md$/;

class UsageError extends Error {}

function git(args) {
  return execFileSync('git', args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 256 * 1024 * 1024,
  }).trimEnd();
}

function gitOrUndefined(args) {
  try {
    return git(args);
  } catch {
    return undefined;
  }
}

function lines(text) {
  return text ? text.split('\n').filter(Boolean) : [];
}

/** Workspace package globs from pnpm-workspace.yaml at `rev`, else from package.json `workspaces`. */
function workspaceGlobs(rev) {
  const yaml = gitOrUndefined(['show', `${rev}:pnpm-workspace.yaml`]);
  if (yaml !== undefined) {
    const globs = [];
    let inPackages = false;
    for (const line of yaml.split('\n')) {
      if (/^packages\s*:/.test(line)) {
        inPackages = true;
        continue;
      }
      if (!inPackages) continue;
      const item = /^\s+-\s*(['"]?)(.+?)\1\s*(#.*)?$/.exec(line);
      if (item) globs.push(item[2]);
      else if (/^\S/.test(line)) break;
    }
    return globs;
  }
  const root = JSON.parse(gitOrUndefined(['show', `${rev}:package.json`]) ?? '{}');
  const workspaces = Array.isArray(root.workspaces) ? root.workspaces : (root.workspaces?.packages ?? []);
  return workspaces;
}

function globToRegExp(glob) {
  const body = glob
    .replace(/\/+$/, '')
    .split('/')
    .map((part) =>
      part === '**' ? '.*' : part.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '[^/]*'),
    )
    .join('/');
  return new RegExp(`^${body}$`);
}

/** Every workspace package at `rev`: `{ name, dir, private, devDependencies }`, deepest first. */
function workspacePackages(rev) {
  const globs = workspaceGlobs(rev);
  const include = globs.filter((g) => !g.startsWith('!')).map(globToRegExp);
  const exclude = globs.filter((g) => g.startsWith('!')).map((g) => globToRegExp(g.slice(1)));
  const manifests = lines(git(['ls-tree', '-r', '--name-only', rev])).filter((f) =>
    f.endsWith('/package.json'),
  );
  const packages = [];
  for (const manifest of manifests) {
    const dir = manifest.slice(0, -'/package.json'.length);
    if (dir.split('/').includes('node_modules')) continue;
    if (!include.some((re) => re.test(dir)) || exclude.some((re) => re.test(dir))) continue;
    let json;
    try {
      json = JSON.parse(git(['show', `${rev}:${manifest}`]));
    } catch (error) {
      throw new UsageError(`${manifest} at ${rev} is not valid JSON: ${error.message}`);
    }
    if (typeof json.name !== 'string') continue;
    packages.push({
      name: json.name,
      dir,
      private: json.private === true,
      devDependencies: Object.keys(json.devDependencies ?? {}),
    });
  }
  // Deepest first, so a file in a nested package is attributed to that package only.
  return packages.sort((a, b) => b.dir.length - a.dir.length);
}

/**
 * The newest commit on `head`'s history that consumed changesets: it deleted a changeset file, as every
 * `changeset version` does (in pre mode the files stay until the release that ends it, so the range just starts
 * earlier). A CHANGELOG.md is no sign: one written by hand, such as a package's first one recording the version it
 * starts from, consumes nothing, and taking it for a release would hide the changes and changesets before it.
 * Undefined when there is none.
 */
function lastConsumption(head) {
  return (
    git([
      'log',
      '-1',
      '--format=%H',
      '--diff-filter=D',
      head,
      '--',
      ':(glob).changeset/*.md',
      ':(exclude).changeset/README.md',
    ]) || undefined
  );
}

/** Resolves the range to check: `[base, head, why]`. */
function resolveRange(arg) {
  if (arg !== undefined) {
    const symmetric = arg.includes('...');
    const [from, to] = arg.includes('..') ? arg.split(/\.\.\.?/) : [arg, 'HEAD'];
    const head = gitOrUndefined(['rev-parse', '--verify', '--quiet', `${to || 'HEAD'}^{commit}`]);
    let base = gitOrUndefined(['rev-parse', '--verify', '--quiet', `${from || 'HEAD'}^{commit}`]);
    // `a...b` means what b changed since it forked from a, as in `git diff a...b`.
    if (symmetric && base && head) base = gitOrUndefined(['merge-base', base, head]);
    if (!base || !head) throw new UsageError(`cannot resolve range '${arg}' to two commits`);
    return [base, head, `range ${arg}`];
  }
  const head = git(['rev-parse', 'HEAD']);
  const consumed = lastConsumption(head);
  if (consumed) return [consumed, head, 'since the last commit that consumed changesets'];
  const roots = lines(git(['rev-list', '--max-parents=0', head]));
  return [roots[roots.length - 1], head, 'since the root commit (no changesets consumed yet)'];
}

/** Package names in a changeset's frontmatter; throws UsageError when the file has none. */
function changesetPackages(path, text) {
  const match = /^---\r?\n([\s\S]*?)\r?\n?---\s*(\r?\n|$)/.exec(text);
  // A Markdown formatter reads the frontmatter as a rule plus a setext heading and rewrites it as `## "pkg": bump`.
  if (!match && /^---\s*\n\s*\n#+\s*["']?[^\n]+["']?\s*:\s*(major|minor|patch)/.test(text))
    throw new UsageError(
      `${path}: its frontmatter was rewritten as a Markdown heading (a formatter ran over it); ` +
        "restore the lines '---', '\"<package>\": <bump>', '---'",
    );
  if (!match) throw new UsageError(`${path} has no '---' frontmatter naming the packages it releases`);
  const names = [];
  for (const line of match[1].split(/\r?\n/)) {
    if (!line.trim()) continue;
    const entry = /^\s*(["']?)(.+?)\1\s*:\s*(major|minor|patch|none)\s*$/.exec(line);
    if (!entry) throw new UsageError(`${path}: cannot read frontmatter line '${line.trim()}'`);
    names.push(entry[2]);
  }
  return names;
}

/**
 * Private workspace packages that published ones bundle (tsup inlines a devDependency their shipped source
 * imports, as every published package does with `@chat/redis-kit`): private name → names of the published
 * packages that ship it.
 */
function bundlers(rev, packages) {
  const byName = new Map(packages.map((p) => [p.name, p]));
  const shippedBy = new Map();
  for (const pkg of packages.filter((p) => !p.private)) {
    for (const dep of pkg.devDependencies) {
      if (byName.get(dep)?.private !== true) continue;
      const quoted = `['"]${dep.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/[^'"]*)?['"]`;
      const hits = lines(
        gitOrUndefined([
          'grep',
          '-l',
          '-E',
          quoted,
          rev,
          '--',
          ...SOURCE_DIRS.map((d) => `${pkg.dir}/${d}`),
        ]) ?? '',
      ).map((hit) => hit.slice(rev.length + 1));
      if (!hits.some((file) => isShippedSource(file.slice(pkg.dir.length + 1)))) continue;
      shippedBy.set(dep, [...(shippedBy.get(dep) ?? []), pkg.name]);
    }
  }
  return shippedBy;
}

function isShippedSource(pathInPackage) {
  return (
    SOURCE_DIRS.some((d) => pathInPackage.startsWith(d)) && !NOT_SHIPPED.some((re) => re.test(pathInPackage))
  );
}

function main(argv) {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log('usage: node scripts/check-changesets.mjs [<base> | <base>..<head>]');
    return 0;
  }
  if (gitOrUndefined(['rev-parse', '--is-inside-work-tree']) !== 'true') {
    console.log('changesets: not a git checkout, nothing to compare; skipped');
    return 0;
  }
  if (gitOrUndefined(['rev-parse', '--verify', '--quiet', 'HEAD']) === undefined) {
    console.log('changesets: no commits yet; skipped');
    return 0;
  }
  // The repository root, so paths from git diff match paths from ls-tree wherever this is run.
  process.chdir(git(['rev-parse', '--show-toplevel']));
  const [base, head, why] = resolveRange(argv.find((a) => !a.startsWith('-')));
  const range = `${base.slice(0, 9)}..${head.slice(0, 9)}`;

  const packages = workspacePackages(head);
  const shippedBy = bundlers(head, packages);
  const changedFiles = lines(git(['diff', '--name-only', '--no-renames', base, head]));
  const changed = new Map();
  // A bundled private package's change ships in every published package that bundles it; naming one is enough.
  const bundledChanged = new Map();
  for (const file of changedFiles) {
    const pkg = packages.find((p) => file.startsWith(`${p.dir}/`));
    if (!pkg || !isShippedSource(file.slice(pkg.dir.length + 1))) continue;
    const target = pkg.private ? (shippedBy.has(pkg.name) ? bundledChanged : undefined) : changed;
    target?.set(pkg.name, [...(target.get(pkg.name) ?? []), file]);
  }

  const added = lines(
    git(['diff', '--name-only', '--no-renames', '--diff-filter=A', base, head, '--', '.changeset']),
  ).filter((f) => CHANGESET_FILE.test(f) && f !== '.changeset/README.md');
  const named = new Set();
  for (const file of added) {
    for (const name of changesetPackages(file, git(['show', `${head}:${file}`]))) named.add(name);
  }

  const missing = [...changed.keys()].filter((name) => !named.has(name)).sort();
  const unshipped = [...bundledChanged.keys()].filter(
    (name) => !shippedBy.get(name).some((p) => named.has(p)),
  );
  if (missing.length === 0 && unshipped.length === 0) {
    const bundled =
      bundledChanged.size > 0 ? ` (${bundledChanged.size} bundled private package(s) with them)` : '';
    console.log(
      `changesets: ${range} (${why}): ${changed.size} published package(s) changed${bundled}, ` +
        `${added.length} changeset(s) added, every changed package is named`,
    );
    return 0;
  }
  const suggested = [...new Set([...missing, ...unshipped.map((name) => shippedBy.get(name)[0])])].sort();
  const report = [
    `changesets: published packages changed in ${range} (${why}) but no changeset added in that range names them:`,
    ...missing.map((name) => {
      const files = changed.get(name);
      return `  - ${name} (${files.length} file(s) under src/ or schema/, e.g. ${files[0]})`;
    }),
    ...unshipped.map((name) => {
      const files = bundledChanged.get(name);
      return (
        `  - ${name}, bundled into ${shippedBy.get(name).join(', ')}: name the one(s) the change reaches ` +
        `(${files.length} file(s) under src/, e.g. ${files[0]})`
      );
    }),
    'Add a file .changeset/<some-slug>.md naming each one, for example:',
    '---',
    ...suggested.map((name) => `"${name}": patch`),
    '---',
    'One paragraph for the changelog: what changed and why a user cares.',
    '(patch = fix, minor = new feature or new optional wire field, major = breaking; see RELEASING.md.)',
  ];
  console.error(report.join('\n'));
  return 1;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`changesets: ${error.message}`);
    process.exitCode = 1;
  } else {
    const stderr = error?.stderr ? `\n${String(error.stderr).trim()}` : '';
    console.error(`changesets: the check could not run: ${error?.message ?? error}${stderr}`);
    process.exitCode = 2;
  }
}

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import ts from 'typescript';
import { WORKSPACE_ROOT } from './scratch-repo.js';

/** The packages whose options follow the house pattern: their `src/` is searched for `DEFAULT_…` constants. */
export const OPTION_PACKAGES = [
  'packages/completion-schema',
  'packages/completion-publisher',
  'packages/completion-consumer',
  'packages/stream-registry',
  'apps/consumer-worker',
] as const;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/**
 * A `@defaultValue` as a value: its first code span when it starts with one (`` `5000` ms ``), else the whole
 * text, else the text before a parenthesis (`900 ({@link DEFAULT_…})`), evaluated as a JS expression. Undefined
 * (with `ok: false`) when none of them is one: a prose default such as `detected` or `deadLetterStreamFor(stream)`.
 * A bare name is looked up in `scope` (the package's root exports), so `DEFAULT_SENSITIVE_KEYS` reads as its value.
 */
export function defaultLiteral(
  text: string,
  scope: Record<string, unknown> = {},
): { ok: true; value: unknown } | { ok: false } {
  const candidates = text.startsWith('`')
    ? [/^`([^`]+)`/.exec(text)?.[1] ?? '']
    : [text, text.split(/\s+\(/)[0] ?? ''];
  for (const candidate of candidates) {
    try {
      // The sources are ours, so evaluating their documented literals is safe.
      const names = Object.keys(scope).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name));
      const evaluate = new Function(...names, `return (${candidate.trim()});`);
      return { ok: true, value: evaluate(...names.map((name) => scope[name])) };
    } catch {}
  }
  return { ok: false };
}

function defaultValueTag(node: ts.Node | undefined): string | undefined {
  if (!node) return undefined;
  const tag = ts.getJSDocTags(node).find((t) => t.tagName.text === 'defaultValue');
  return tag ? (ts.getTextOfJSDocComment(tag.comment) ?? '').trim() : undefined;
}

/** One `export const DEFAULT_… = Object.freeze({...})` and the options types its TSDoc links to. */
interface DefaultsConstant {
  file: string;
  name: string;
  linked: string[];
  /** The constant's own members' `@defaultValue`, by key. */
  memberDocs: Map<string, string>;
}

/**
 * Compares every defaults constant of `packageDir` with the TSDoc of the options types it names
 * (`Defaults of {@link XOptions}`): each key must be a documented member (or a flattened nested one:
 * `deadLetterMaxLen` is `deadLetter.maxLen`) whose `@defaultValue` and the constant member's own `@defaultValue`
 * state the value; and a member of any exported interface in the package that documents a literal default must
 * have it in a constant. Returns one line per mismatch.
 */
export async function tsdocDrift(packageDir: string): Promise<{ constants: string[]; drift: string[] }> {
  const root = join(WORKSPACE_ROOT, packageDir);
  const files = sourceFiles(join(root, 'src'));
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const interfaces = new Map<string, ts.InterfaceDeclaration>();
  const constants: DefaultsConstant[] = [];
  for (const file of files) {
    const source = program.getSourceFile(file);
    if (!source) continue;
    for (const statement of source.statements) {
      if (ts.isInterfaceDeclaration(statement)) interfaces.set(statement.name.text, statement);
      if (!ts.isVariableStatement(statement)) continue;
      if (!statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
      for (const declaration of statement.declarationList.declarations) {
        const name = declaration.name.getText(source);
        if (!/^DEFAULT_[A-Z_]+_OPTIONS$/.test(name) || !declaration.initializer) continue;
        const text = declaration.initializer.getText(source);
        if (!text.startsWith('Object.freeze(')) continue;
        const docs = ts
          .getJSDocCommentsAndTags(statement)
          .map((d) => d.getText(source))
          .join('\n');
        const memberDocs = new Map<string, string>();
        const literal = findObjectLiteral(declaration.initializer);
        for (const property of literal?.properties ?? []) {
          const doc = defaultValueTag(property);
          if (property.name && doc !== undefined) memberDocs.set(property.name.getText(source), doc);
        }
        constants.push({
          file,
          name,
          linked: [...docs.matchAll(/\{@link (\w+)\}/g)].map((m) => m[1]!),
          memberDocs,
        });
      }
    }
  }

  const drift: string[] = [];
  const covered = new Set<string>();
  const scope = (await import(join(root, 'src/index.ts'))) as Record<string, unknown>;
  for (const constant of constants) {
    const where = `${constant.name} (${constant.file.slice(root.length + 1)})`;
    const module = (await import(constant.file)) as Record<string, unknown>;
    const value = module[constant.name] as Record<string, unknown>;
    const types = constant.linked
      .map((name) => interfaces.get(name))
      .filter((i): i is ts.InterfaceDeclaration => i !== undefined);
    if (types.length === 0) {
      drift.push(`${where}: its TSDoc links no options interface of the package ("Defaults of {@link …}")`);
      continue;
    }
    for (const [key, actual] of Object.entries(value)) {
      const member = memberOf(checker, types, key);
      if (!member) {
        drift.push(`${where}.${key}: no member of ${constant.linked.join(', ')} documents it`);
        continue;
      }
      covered.add(declaredAs(member.declaration));
      // A nested defaults object covers the members of its options type (`backoff` → BackoffOptions.baseMs, …).
      if (actual && typeof actual === 'object' && !Array.isArray(actual)) {
        const nested = checker.getNonNullableType(checker.getTypeOfSymbol(member.symbol));
        for (const key of Object.keys(actual)) {
          const property = nested.getProperty(key);
          covered.add(declaredAs(property?.valueDeclaration ?? property?.declarations?.[0]));
        }
      }
      for (const [label, doc] of [
        [`${member.owner}.${member.name}`, defaultValueTag(member.declaration)],
        [`${constant.name}.${key}`, constant.memberDocs.get(key)],
      ] as const) {
        if (doc === undefined) {
          if (label.startsWith(constant.name)) continue;
          drift.push(`${label}: no @defaultValue, the code has ${show(actual)}`);
          continue;
        }
        const documented = defaultLiteral(doc, scope);
        if (!documented.ok) drift.push(`${label}: @defaultValue ${doc} is not a literal`);
        else if (!isDeepStrictEqual(documented.value, actual))
          drift.push(`${label}: @defaultValue ${doc}, the code has ${show(actual)}`);
      }
    }
  }
  // A literal default documented outside every constant is an inline default somewhere.
  for (const [name, declaration] of interfaces) {
    if (!declaration.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    for (const member of declaration.members) {
      const memberName = member.name?.getText();
      const doc = defaultValueTag(member);
      if (!memberName || doc === undefined || covered.has(`${name}.${memberName}`)) continue;
      const documented = defaultLiteral(doc, scope);
      if (documented.ok && documented.value !== undefined)
        drift.push(`${name}.${memberName}: @defaultValue ${doc} is in no DEFAULT_…_OPTIONS constant`);
    }
  }
  return { constants: constants.map((c) => c.name), drift };
}

/** `Interface.member` where a member is declared (an inherited or nested one names its own interface). */
function declaredAs(declaration: ts.Declaration | undefined): string {
  const parent = declaration?.parent;
  const name = declaration && ts.isPropertySignature(declaration) ? declaration.name.getText() : '?';
  return parent && ts.isInterfaceDeclaration(parent) ? `${parent.name.text}.${name}` : name;
}

function findObjectLiteral(node: ts.Node): ts.ObjectLiteralExpression | undefined {
  if (ts.isObjectLiteralExpression(node)) return node;
  return ts.forEachChild(node, findObjectLiteral);
}

function show(value: unknown): string {
  return typeof value === 'function' ? `function ${value.name}` : JSON.stringify(value);
}

interface Member {
  owner: string;
  name: string;
  symbol: ts.Symbol;
  declaration: ts.Declaration | undefined;
}

/** The member `key` of one of `types` (inherited members included), or the nested one a flattened key names. */
function memberOf(
  checker: ts.TypeChecker,
  types: ts.InterfaceDeclaration[],
  key: string,
): Member | undefined {
  for (const declaration of types) {
    const type = checker.getTypeAtLocation(declaration.name);
    const direct = type.getProperty(key);
    if (direct)
      return {
        owner: declaration.name.text,
        name: key,
        symbol: direct,
        declaration: direct.valueDeclaration ?? direct.declarations?.[0],
      };
    for (const property of type.getProperties()) {
      if (!key.startsWith(property.name) || key === property.name) continue;
      const rest = key.slice(property.name.length);
      const nestedName = rest[0]!.toLowerCase() + rest.slice(1);
      const nestedType = checker.getNonNullableType(checker.getTypeOfSymbol(property));
      const nested = nestedType.getProperty(nestedName);
      if (nested)
        return {
          owner: declaration.name.text,
          name: `${property.name}.${nestedName}`,
          symbol: nested,
          declaration: nested.valueDeclaration ?? nested.declarations?.[0],
        };
    }
  }
  return undefined;
}

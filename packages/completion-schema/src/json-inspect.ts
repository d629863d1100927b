/** One step of a path into a value: an object key or an array index. */
export type PathSegment = string | number;

/** What {@link inspectJson} found wrong with a value, with where it is. */
export type JsonProblem =
  /** An object or array contains itself: `path` leads to the reference, `target` to the object it points back to. */
  | { kind: 'cycle'; path: PathSegment[]; target: PathSegment[] }
  /** The value nests `depth` levels, more than the limit it was inspected with. */
  | { kind: 'too_deep'; depth: number }
  /** The value at `path` is not JSON (`got` names what it is: `undefined`, `NaN`, `a Date`, …). */
  | { kind: 'not_json'; path: PathSegment[]; got: string };

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | undefined;
  key: PathSegment | undefined;
}

/** Marks the end of a container's children on the stack, so it leaves the set of ancestors. */
interface Exit {
  exit: object;
}

function pathOf(frame: Frame): PathSegment[] {
  const path: PathSegment[] = [];
  for (let f: Frame | undefined = frame; f?.key !== undefined; f = f.parent) path.push(f.key);
  return path.reverse();
}

/** Names a value that JSON cannot hold, for a message: `undefined`, `NaN`, `a function`, `a Date`. */
export function describeNonJson(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object' && value !== null) {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor
      ?.name;
    return name ? `a ${name}` : 'an object with a foreign prototype';
  }
  if (value === undefined) return 'undefined';
  return `a ${typeof value}`;
}

/**
 * Walks `root` once, iteratively (an explicit stack, so no depth exhausts the call stack), and reports the first
 * cycle, else a nesting deeper than `maxDepth` (the root container is level 1), else the first value JSON cannot
 * hold. Only containers on the current path count as a cycle: an object referenced twice side by side is fine.
 * This is the slow path that explains a rejection; the fast validator only says yes or no.
 */
export function inspectJson(root: unknown, maxDepth: number): JsonProblem | undefined {
  const stack: (Frame | Exit)[] = [{ value: root, depth: 0, parent: undefined, key: undefined }];
  const ancestors = new Map<object, Frame>();
  let deepest = 0;
  let notJson: JsonProblem | undefined;
  while (stack.length > 0) {
    const item = stack.pop()!;
    if ('exit' in item) {
      ancestors.delete(item.exit);
      continue;
    }
    const { value } = item;
    if (typeof value === 'string' || typeof value === 'boolean' || value === null) continue;
    if (typeof value === 'number' && Number.isFinite(value)) continue;
    if (typeof value !== 'object') {
      notJson ??= { kind: 'not_json', path: pathOf(item), got: describeNonJson(value) };
      continue;
    }
    const isArray = Array.isArray(value);
    const proto = Object.getPrototypeOf(value);
    if (!isArray && proto !== Object.prototype && proto !== null) {
      notJson ??= { kind: 'not_json', path: pathOf(item), got: describeNonJson(value) };
      continue;
    }
    const seen = ancestors.get(value);
    if (seen) return { kind: 'cycle', path: pathOf(item), target: pathOf(seen) };
    const depth = item.depth + 1;
    if (depth > deepest) deepest = depth;
    ancestors.set(value, item);
    stack.push({ exit: value });
    if (isArray) {
      for (let i = value.length - 1; i >= 0; i--)
        stack.push({ value: value[i], depth, parent: item, key: i });
    } else {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        stack.push({ value: (value as Record<string, unknown>)[key], depth, parent: item, key });
      }
    }
  }
  if (deepest > maxDepth) return { kind: 'too_deep', depth: deepest };
  return notJson;
}

/** Formats a path as a reader would write it: `result.steps[2]["odd key"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

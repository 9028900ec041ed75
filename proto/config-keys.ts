// Strict config keys: a key a schema does not know is an error naming the key
// and the closest known one ("intervallMs: unknown key, did you mean
// intervalMs?"), instead of being silently dropped. The known keys come from
// the zod schema itself (the one source of the config's types), found by
// walking its objects through default/optional/prefault wrappers; records
// (free-form maps such as tags) are left alone.
import type { z } from 'zod';

export interface UnknownKey {
  /** dotted path of the unknown key, e.g. detect.cpu.flor */
  path: string;
  key: string;
  /** the closest known key at the same place, when one is close enough */
  suggestion?: string;
}

type Def = {
  type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; in?: z.ZodType; out?: z.ZodType;
  element?: z.ZodType; options?: z.ZodType[];
};
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/**
 * The object schema under wrappers (default, prefault, optional, nullable,
 * catch, readonly; a pipe's input, else its output, as for preprocess and
 * transform), or undefined.
 */
function objectShape(schema: z.ZodType, depth = 0): Record<string, z.ZodType> | undefined {
  if (depth > 10) return undefined;
  const d = defOf(schema);
  if (d.type === 'object') return d.shape;
  if (d.type === 'pipe') return (d.in && objectShape(d.in, depth + 1)) ?? (d.out && objectShape(d.out, depth + 1));
  return d.innerType ? objectShape(d.innerType, depth + 1) : undefined;
}

/** The schema under wrappers that is not a wrapper (to find arrays and unions). */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let i = 0; i < 10; i++) {
    const d = defOf(s);
    const next = d.type === 'pipe' ? (d.in && defOf(d.in).type !== 'transform' ? d.in : d.out) : d.innerType;
    if (!next) return s;
    s = next;
  }
  return s;
}

/**
 * The keys an object at `path` may have (array items by index, every option of
 * a union together); [] where the schema has no object there.
 */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let nodes: z.ZodType[] = [schema];
  for (const seg of path) {
    nodes = nodes.flatMap((n) => {
      const u = unwrap(n);
      const d = defOf(u);
      if (typeof seg === 'number' && d.type === 'array' && d.element) return [d.element];
      const shape = objectShape(u);
      const sub = shape?.[String(seg)];
      return sub ? [sub] : [];
    }).flatMap((n) => {
      const d = defOf(unwrap(n));
      return d.type === 'union' && d.options ? d.options : [n];
    });
  }
  return [...new Set(nodes.flatMap((n) => {
    const d = defOf(unwrap(n));
    const options = d.type === 'union' && d.options ? d.options : [n];
    return options.flatMap((o) => Object.keys(objectShape(o) ?? {}));
  }))];
}

/** Every key of `input` that `schema` does not know, depth first, in input order. */
export function unknownKeys(schema: z.ZodType, input: unknown, prefix: string[] = []): UnknownKey[] {
  const shape = objectShape(schema);
  if (!shape || input === null || typeof input !== 'object' || Array.isArray(input)) return [];
  const out: UnknownKey[] = [];
  const known = Object.keys(shape);
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    const sub = shape[key];
    if (sub) out.push(...unknownKeys(sub, value, [...prefix, key]));
    else out.push({ path: [...prefix, key].join('.'), key, suggestion: closestKey(key, known) });
  }
  return out;
}

/** "intervallMs: unknown key (did you mean intervalMs?)" */
export function describeUnknownKey(u: UnknownKey): string {
  const where = u.path.split('.').slice(0, -1);
  const hint = u.suggestion ? `did you mean ${[...where, u.suggestion].join('.')}?` : 'not a setting here';
  return `${u.path}: unknown key (${hint})`;
}

/**
 * The known key closest to `key` by edit distance (insertions, deletions,
 * substitutions and swaps of two neighbours, case ignored), if within about a
 * third of its length (at least 1, at most 3); ties go to the first known key.
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(key.length / 3)));
  let best: string | undefined;
  let bestD = limit + 1;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best;
}

/** Optimal string alignment distance (Damerau-Levenshtein without repeated edits of one substring). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  const at = (i: number, j: number) => i * cols + j;
  for (let i = 0; i < rows; i++) d[at(i, 0)] = i;
  for (let j = 0; j < cols; j++) d[at(0, j)] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[at(i - 1, j)]! + 1, d[at(i, j - 1)]! + 1, d[at(i - 1, j - 1)]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[at(i - 2, j - 2)]! + 1);
      d[at(i, j)] = v;
    }
  }
  return d[at(rows - 1, cols - 1)]!;
}

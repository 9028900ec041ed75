// Reads playbook files. A bad file is refused with its name, the line and the reason;
// the others load anyway. A directory source watches for changes (debounced) and keeps
// running the last good version of a file that became bad, so a typo made while a worm
// is loose does not switch its playbook off.
import { readdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, join } from 'node:path';
import type { Logger } from 'pino';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { PlaybookSchema, type Playbook } from './schema.ts';
import { closestKey, knownKeysAt } from '../../proto/config-keys.ts';

export interface PlaybookIssue {
  file: string;
  /** 1-based; 0 when the problem is the file as a whole (unreadable, duplicate). */
  line: number;
  column: number;
  /** Where in the document, e.g. do[1].block.ports[0]. */
  path: string;
  message: string;
}

export interface LoadedPlaybook {
  file: string;
  playbook: Playbook;
  loadedAtMs: number;
  /** Set when the file on disk is now refused and this is the last good version still running. */
  stale: PlaybookIssue[] | null;
}

export interface LoadResult {
  playbooks: LoadedPlaybook[];
  errors: PlaybookIssue[];
}

export type ParseOutcome = { ok: true; playbook: Playbook } | { ok: false; errors: PlaybookIssue[] };

/** "file:line:col: message (at path)" — the form editors and CI understand. */
export function formatIssue(i: PlaybookIssue): string {
  const where = i.line > 0 ? `${i.file}:${i.line}:${i.column}` : i.file;
  return `${where}: ${i.message}${i.path ? ` (at ${i.path})` : ''}`;
}

function pathText(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : `${out ? '.' : ''}${String(seg)}`;
  return out;
}

/** The node a zod path points at, or the deepest ancestor that exists (a missing field points at its parent). */
function locate(root: unknown, path: ReadonlyArray<PropertyKey>, unknownKey?: string): { node: YamlNode | null; exact: boolean } {
  let node = root as YamlNode | null;
  let exact = true;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === seg);
      if (!pair) { exact = false; break; }
      // `isolate:` with nothing after it has no value node: point at the key
      node = (pair.value as YamlNode | null) ?? (pair.key as YamlNode);
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
      node = node.items[seg] as YamlNode;
    } else {
      exact = false;
      break;
    }
  }
  if (unknownKey !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === unknownKey);
    if (pair) return { node: pair.key as YamlNode, exact: true };
  }
  return { node, exact };
}

function issueMessage(iss: z.core.$ZodIssue, exact: boolean): string {
  if (iss.code === 'unrecognized_keys') {
    // strict keys: the closest known one at that place, from the schema itself
    const known = knownKeysAt(PlaybookSchema, iss.path);
    const guesses = iss.keys.map((k) => closestKey(k, known)).filter((g): g is string => g !== undefined);
    const hint = guesses.length ? ` (did you mean ${guesses.map((g) => `'${g}'`).join(', ')}?)` : '';
    if (iss.message.startsWith('unknown action')) return iss.message + hint;
    return `unknown field ${iss.keys.map((k) => `'${k}'`).join(', ')}${hint}: check the spelling against the shipped examples in playbooks/`;
  }
  if (iss.code === 'invalid_type' && !exact) {
    const field = iss.path[iss.path.length - 1];
    // zod's own text for an absent field is terse; say which field
    return iss.message.startsWith('Invalid input') ? `${String(field)} is missing` : iss.message;
  }
  return iss.message;
}

function positionOf(text: string, path: PropertyKey[]): { line: number; col: number } {
  const lc = new LineCounter();
  const { node } = locate(parseDocument(text, { lineCounter: lc }).contents, path);
  return node?.range ? lc.linePos(node.range[0]) : { line: 0, col: 0 };
}

/** Parses and validates one playbook's text. Never throws. */
export function parsePlaybook(text: string, file: string): ParseOutcome {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number) => lc.linePos(offset);
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const p = pos(e.pos[0]);
        return { file, line: p.line, column: p.col, path: '', message: `YAML syntax: ${e.message.split('\n')[0]}` };
      }),
    };
  }
  const data: unknown = doc.toJS();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, errors: [{ file, line: 1, column: 1, path: '', message: 'a playbook file is a YAML mapping with name, when and do' }] };
  }
  const parsed = PlaybookSchema.safeParse(data);
  if (parsed.success) return { ok: true, playbook: parsed.data };
  // A step with only an unknown action also fails "names no action": one message is enough.
  const unknownAt = new Set(parsed.error.issues.filter((i) => i.code === 'unrecognized_keys').map((i) => pathText(i.path)));
  const issues = parsed.error.issues.filter((i) => !(i.code === 'custom' && i.message.startsWith('a step names no action') && unknownAt.has(pathText(i.path))));
  const errors = issues.map((iss): PlaybookIssue => {
    const unknownKey = iss.code === 'unrecognized_keys' ? iss.keys[0] : undefined;
    const { node, exact } = locate(doc.contents, iss.path, unknownKey);
    const p = node?.range ? pos(node.range[0]) : { line: 1, col: 1 };
    return { file, line: p.line, column: p.col, path: pathText(iss.path), message: issueMessage(iss, exact) };
  });
  errors.sort((a, b) => a.line - b.line || a.column - b.column);
  return { ok: false, errors };
}

/** Reads and validates one file (what `firebreak playbooks validate <file>` runs). */
export function validatePlaybookFile(path: string): ParseOutcome {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { ok: false, errors: [{ file: path, line: 0, column: 0, path: '', message: `cannot read the file: ${(err as Error).message}` }] };
  }
  return parsePlaybook(text, path);
}

const isPlaybookFile = (f: string) => /\.ya?ml$/i.test(f) && !f.startsWith('.');

/**
 * Loads every .yaml/.yml file of a directory, in name order. Refused files are listed in
 * errors; `previous` (the last result) lets a file that became bad keep its last good
 * version running (marked stale). Two files with the same playbook name: the second is refused.
 */
export function loadPlaybookDir(dir: string, now: number, previous?: LoadResult): LoadResult {
  const errors: PlaybookIssue[] = [];
  const playbooks: LoadedPlaybook[] = [];
  let files: string[];
  try {
    files = readdirSync(dir).filter(isPlaybookFile).sort();
  } catch (err) {
    return { playbooks: [], errors: [{ file: dir, line: 0, column: 0, path: '', message: `cannot read the playbook directory: ${(err as Error).message}` }] };
  }
  const byName = new Map<string, string>();
  for (const f of files) {
    const path = join(dir, f);
    try {
      if (!statSync(path).isFile()) continue;
    } catch {
      continue; // removed between readdir and stat
    }
    const out = validatePlaybookFile(path);
    if (!out.ok) {
      errors.push(...out.errors);
      const last = previous?.playbooks.find((p) => p.file === path);
      if (last && !byName.has(last.playbook.name)) {
        byName.set(last.playbook.name, path);
        playbooks.push({ ...last, stale: out.errors });
      }
      continue;
    }
    const other = byName.get(out.playbook.name);
    if (other) {
      const p = positionOf(readFileSync(path, 'utf8'), ['name']);
      errors.push({ file: path, line: p.line, column: p.col, path: 'name', message: `playbook name '${out.playbook.name}' is already used by ${basename(other)}: names must be unique` });
      continue;
    }
    byName.set(out.playbook.name, path);
    const last = previous?.playbooks.find((p) => p.file === path && p.stale === null && JSON.stringify(p.playbook) === JSON.stringify(out.playbook));
    playbooks.push({ file: path, playbook: out.playbook, loadedAtMs: last?.loadedAtMs ?? now, stale: null });
  }
  return { playbooks, errors };
}

export interface PlaybookSourceOptions {
  dir: string;
  log?: Logger;
  /** Called after every (re)load with the full result. */
  onLoad: (result: LoadResult) => void;
  /** Editors write a file in several steps; wait this long after the last change. Default 250 ms. */
  debounceMs?: number;
  now?: () => number;
}

/** A watched playbook directory: load(), then start() to reload on change; reload() on demand. */
export class PlaybookSource {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private last: LoadResult = { playbooks: [], errors: [] };
  private readonly now: () => number;

  constructor(private readonly opts: PlaybookSourceOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Loads the directory now and hands the result to onLoad. */
  reload(): LoadResult {
    this.last = loadPlaybookDir(this.opts.dir, this.now(), this.last);
    for (const e of this.last.errors) this.opts.log?.error({ file: e.file, line: e.line, path: e.path }, `playbook refused: ${formatIssue(e)}`);
    this.opts.log?.info({ dir: this.opts.dir, loaded: this.last.playbooks.map((p) => p.playbook.name), refused: this.last.errors.length }, 'playbooks loaded');
    this.opts.onLoad(this.last);
    return this.last;
  }

  current(): LoadResult {
    return this.last;
  }

  /** Watches the directory; a change reloads after the debounce. Returns the first load. */
  start(): LoadResult {
    const first = this.reload();
    if (!this.watcher) {
      try {
        this.watcher = watch(this.opts.dir, { persistent: false }, () => this.schedule());
        this.watcher.on('error', (err) => this.opts.log?.error({ err, dir: this.opts.dir }, 'playbook directory watch failed; use reload to pick up changes'));
      } catch (err) {
        this.opts.log?.error({ err, dir: this.opts.dir }, 'cannot watch the playbook directory; changes need an explicit reload');
      }
    }
    return first;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      try {
        this.reload();
      } catch (err) {
        this.opts.log?.error({ err }, 'playbook reload failed; the previous playbooks keep running');
      }
    }, this.opts.debounceMs ?? 250);
    this.timer.unref?.();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.watcher?.close();
    this.watcher = null;
  }
}

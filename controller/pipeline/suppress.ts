// Suppress stage: silences and maintenance windows, after Alertmanager's. A silence is a
// set of matchers (signature, host id, tag key=value; exact or glob) and a time range.
// An event it matches is still stored (ingest already did that) and still counted, but
// it opens nothing and escalates nothing: the correlator treats it as muted.
// Silences act on events, not on alerts: to quiet an alert that is already open,
// acknowledge it.
import { z } from 'zod';
import {
  MatcherSchema,
  SilenceSchema,
  SilenceSpecSchema,
  StageError,
  type Matcher,
  type PipelineEvent,
  type Silence,
  type SilenceSpec,
  type SilenceState,
  type SilenceView,
} from './stage-types.ts';

export const SilencesSnapshotSchema = z.object({
  version: z.literal(1),
  nextId: z.number().int().positive(),
  silences: z.array(SilenceSchema),
});
export type SilencesSnapshot = z.infer<typeof SilencesSnapshotSchema>;

export interface SilencesOptions {
  /** Expired silences are kept this long for `silence list`, then forgotten. Default 7 days. */
  retentionMs?: number;
}

export class SilenceError extends StageError {
  override name = 'SilenceError';
}

/** `*` matches any run of characters, `?` one; everything else is literal. */
function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

type Test = (value: string | undefined) => boolean;

function compileValue(value: string): Test {
  if (!/[*?]/.test(value)) return (v) => v === value;
  const re = globToRegExp(value);
  return (v) => v !== undefined && re.test(v);
}

interface Compiled {
  silence: Silence;
  tests: Array<(e: PipelineEvent) => boolean>;
}

function compile(silence: Silence): Compiled {
  return {
    silence,
    tests: silence.matchers.map((m) => {
      const t = compileValue(m.value);
      if (m.field === 'signature') return (e: PipelineEvent) => t(e.event.signature);
      if (m.field === 'host') return (e: PipelineEvent) => t(e.hostId);
      const key = m.tag!;
      return (e: PipelineEvent) => t(e.hostTags[key]);
    }),
  };
}

/**
 * Parses the CLI form of a matcher: `signature=conn.fanout/*`, `host=web-?`, `tag:role=db`.
 */
export function parseMatcher(text: string): Matcher {
  const m = /^(signature|sig|host|tag:([^=]+))=(.+)$/.exec(text.trim());
  if (!m) {
    throw new SilenceError(
      `matcher '${text}' is malformed: write signature=<glob>, host=<glob> or tag:<key>=<glob> (e.g. signature=cpu.*, tag:role=db)`,
    );
  }
  const field = m[1]!.startsWith('tag:') ? 'tag' : m[1] === 'host' ? 'host' : 'signature';
  const parsed = { field, tag: m[2], value: m[3]! };
  if (field !== 'tag') delete parsed.tag;
  return validateMatcher(parsed);
}

function validateMatcher(m: unknown): Matcher {
  const res = MatcherSchema.safeParse(m);
  if (!res.success) throw new SilenceError(`matcher is invalid: ${res.error.issues.map((i) => i.message).join('; ')}`);
  return res.data;
}

export class Silences {
  private readonly byId = new Map<string, Compiled>();
  private nextId = 1;
  private readonly retentionMs: number;

  constructor(opts: SilencesOptions = {}) {
    this.retentionMs = opts.retentionMs ?? 7 * 24 * 3600_000;
  }

  /** Adds a silence; throws SilenceError naming the bad field when the spec is invalid. */
  add(spec: SilenceSpec, now: number): SilenceView {
    const res = SilenceSpecSchema.safeParse(spec);
    if (!res.success) {
      const why = res.error.issues.map((i) => `${i.path.join('.') || 'silence'}: ${i.message}`).join('; ');
      throw new SilenceError(`silence refused: ${why}`);
    }
    const s = res.data;
    const startsAtMs = s.startsAtMs ?? now;
    if (s.endsAtMs <= now) throw new SilenceError(`silence refused: it ends at ${new Date(s.endsAtMs).toISOString()}, which has already passed`);
    const silence: Silence = {
      id: `s${this.nextId++}`,
      kind: s.kind,
      matchers: s.matchers,
      startsAtMs,
      endsAtMs: s.endsAtMs,
      createdAtMs: now,
      createdBy: s.createdBy,
      comment: s.comment,
      matched: 0,
    };
    this.byId.set(silence.id, compile(silence));
    return view(silence, now);
  }

  /** Ends a silence now. Throws when the id is unknown. */
  expire(id: string, now: number): SilenceView {
    const c = this.byId.get(id);
    if (!c) throw new SilenceError(`no silence ${JSON.stringify(id)}: list them with 'firebreak silence list'`, 'not-found');
    if (c.silence.endsAtMs > now) c.silence.endsAtMs = now;
    return view(c.silence, now);
  }

  /** The first active silence that matches, or undefined. O(active silences). */
  match(e: PipelineEvent, now: number): Silence | undefined {
    for (const c of this.byId.values()) {
      const s = c.silence;
      if (now < s.startsAtMs || now >= s.endsAtMs) continue;
      if (c.tests.every((t) => t(e))) {
        s.matched++;
        return s;
      }
    }
    return undefined;
  }

  list(now: number): SilenceView[] {
    return [...this.byId.values()].map((c) => view(c.silence, now));
  }

  get(id: string, now: number): SilenceView | undefined {
    const c = this.byId.get(id);
    return c ? view(c.silence, now) : undefined;
  }

  /** Forgets silences that expired more than the retention ago. */
  tick(now: number): void {
    for (const [id, c] of this.byId) if (c.silence.endsAtMs + this.retentionMs < now) this.byId.delete(id);
  }

  toJSON(): SilencesSnapshot {
    return { version: 1, nextId: this.nextId, silences: [...this.byId.values()].map((c) => ({ ...c.silence })) };
  }

  /**
   * Silences as stored when they were added or expired (one row each), over what the
   * correlation snapshot held: the rows are the truth for their fields, the snapshot only
   * for how many events each matched. Returns the rows it could not read.
   */
  applyStored(rows: readonly unknown[]): string[] {
    const bad: string[] = [];
    for (const row of rows) {
      const res = SilenceSchema.safeParse(row);
      if (!res.success) {
        bad.push(res.error.issues[0]?.message ?? 'unreadable');
        continue;
      }
      const prev = this.byId.get(res.data.id);
      this.byId.set(res.data.id, compile({ ...res.data, matched: Math.max(res.data.matched, prev?.silence.matched ?? 0) }));
      const n = Number(/^s(\d+)$/.exec(res.data.id)?.[1] ?? 0);
      if (n >= this.nextId) this.nextId = n + 1;
    }
    return bad;
  }

  static restore(snapshot: unknown, opts: SilencesOptions = {}): Silences {
    const res = SilencesSnapshotSchema.safeParse(snapshot);
    if (!res.success) throw new SilenceError(`silences snapshot is unreadable (${res.error.issues[0]?.message}); start from an empty one and re-add silences`);
    const s = new Silences(opts);
    s.nextId = res.data.nextId;
    for (const silence of res.data.silences) s.byId.set(silence.id, compile(silence));
    return s;
  }
}

function stateOf(s: Silence, now: number): SilenceState {
  if (now < s.startsAtMs) return 'pending';
  return now < s.endsAtMs ? 'active' : 'expired';
}

function view(s: Silence, now: number): SilenceView {
  return { ...s, matchers: s.matchers.map((m) => ({ ...m })), state: stateOf(s, now) };
}

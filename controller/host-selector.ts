// Host selectors: which hosts a fleet-wide operator action reaches, e.g.
//   all,not tag:mail-relay    tag:role=web    fbh1,fbh2    alert:F3
// Parsed and resolved on the controller (the CLI and the dashboard send the text),
// against the tags the controller GRANTED (enrollment token, operators, approved
// requests), never the tags an agent claims in its Hello: an agent that says it is a
// mail relay is not spared by `not tag:mail-relay`. Pure: no I/O, no clock.
import { z } from 'zod';
import { checkAgentId, ValidationError } from '../proto/validate.ts';
import { hasTag } from './playbooks/match.ts';
import { checkTagKey } from './trust/host-tags.ts';

export const SELECTOR_GRAMMAR =
  "comma-separated terms, read left to right: a term adds its hosts, 'not TERM' removes them; "
  + "a term is 'all', a host id, 'tag:KEY' (the host carries KEY), 'tag:KEY=VALUE' or 'alert:ID' (the alert's hosts); "
  + "e.g. 'all,not tag:mail-relay'";

/** One term of a selector, as parsed: the one type the CLI, the API and the dashboard share. */
export const SelectorTermSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all'), not: z.boolean() }),
  z.object({ kind: z.literal('host'), not: z.boolean(), id: z.string() }),
  z.object({ kind: z.literal('tag'), not: z.boolean(), key: z.string(), value: z.string().nullable() }),
  z.object({ kind: z.literal('alert'), not: z.boolean(), id: z.string() }),
]);
export type SelectorTerm = z.infer<typeof SelectorTermSchema>;

/** A selector the operator wrote wrong: says the term and the grammar. */
export class SelectorError extends ValidationError {
  override name = 'SelectorError';
}

const MAX_TERMS = 256;

/** Parses a selector; throws SelectorError naming the bad term. */
export function parseSelector(expr: string): SelectorTerm[] {
  const text = expr.trim();
  if (!text) throw new SelectorError(`the host selector is empty: ${SELECTOR_GRAMMAR}`);
  const parts = text.split(',');
  if (parts.length > MAX_TERMS) throw new SelectorError(`the host selector has ${parts.length} terms; at most ${MAX_TERMS} (select by tag instead)`);
  return parts.map((raw, i) => parseTerm(raw.trim(), i + 1));
}

function parseTerm(raw: string, n: number): SelectorTerm {
  const bad = (why: string) => new SelectorError(`host selector term ${n} '${raw}' ${why}: ${SELECTOR_GRAMMAR}`);
  if (!raw) throw bad('is empty (two commas in a row, or a trailing comma)');
  if (/^not$/i.test(raw)) throw bad("has 'not' and nothing to remove");
  const m = /^not\s+(.*)$/i.exec(raw);
  const not = m !== null;
  const body = (m ? m[1]! : raw).trim();
  if (!body) throw bad("has 'not' and nothing to remove");
  if (/^not(\s|$)/i.test(body)) throw bad("says 'not' twice");
  if (body === 'all') return { kind: 'all', not };
  if (body.startsWith('tag:')) {
    const t = body.slice(4);
    const eq = t.indexOf('=');
    const key = eq < 0 ? t : t.slice(0, eq);
    try { checkTagKey(key); } catch { throw bad(`names a malformed tag key '${key}' (1-64 letters, digits, _ . -)`); }
    return { kind: 'tag', not, key, value: eq < 0 ? null : t.slice(eq + 1) };
  }
  if (body.startsWith('alert:')) {
    const id = body.slice(6);
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) throw bad(`names a malformed alert id '${id}'`);
    return { kind: 'alert', not, id };
  }
  if (body.includes(':')) throw bad(`has an unknown prefix '${body.slice(0, body.indexOf(':') + 1)}' (only tag: and alert:)`);
  try { checkAgentId(body); } catch { throw bad('is not a host id (lowercase letters, digits, . _ -), nor all, tag:, alert:'); }
  return { kind: 'host', not, id: body };
}

/** The fleet as the selector sees it: every known host with its granted tags, and the alerts' hosts. */
export interface SelectorContext {
  hosts: Iterable<{ id: string; tags: Readonly<Record<string, string>> }>;
  /** The alert's hosts (members and spread-graph hosts), or undefined for an unknown alert. */
  alertHosts(alertId: string): readonly string[] | undefined;
}

/** Natural order (fbh2 before fbh10), as `firebreak hosts` lists them. */
const HOST_ORDER = new Intl.Collator('en', { numeric: true });
export const naturalSort = (ids: Iterable<string>): string[] => [...ids].sort(HOST_ORDER.compare);

/**
 * The host ids a selector picks, naturally sorted. A host id or alert that does not
 * exist is an error (a typo must not silently shrink a fleet-wide action).
 */
export function resolveSelector(terms: readonly SelectorTerm[], ctx: SelectorContext): string[] {
  const hosts = [...ctx.hosts];
  const known = new Set(hosts.map((h) => h.id));
  const picked = new Set<string>();
  for (const t of terms) {
    let ids: Iterable<string>;
    switch (t.kind) {
      case 'all':
        ids = known;
        break;
      case 'host':
        if (!known.has(t.id)) throw new SelectorError(`host selector: unknown host '${t.id}' (list them with 'firebreak hosts')`);
        ids = [t.id];
        break;
      case 'tag':
        ids = hosts.filter((h) => hasTag(h.tags, t.key, t.value)).map((h) => h.id);
        break;
      case 'alert': {
        const a = ctx.alertHosts(t.id);
        if (!a) throw new SelectorError(`host selector: unknown alert '${t.id}' (list them with 'firebreak alerts')`);
        ids = a.filter((id) => known.has(id));
        break;
      }
    }
    for (const id of ids) {
      if (t.not) picked.delete(id);
      else picked.add(id);
    }
  }
  return naturalSort(picked);
}

/** The selector as text again (for audit entries and plans): one canonical spelling. */
export function formatSelector(terms: readonly SelectorTerm[]): string {
  return terms.map((t) => {
    const body = t.kind === 'all' ? 'all' : t.kind === 'host' ? t.id : t.kind === 'alert' ? `alert:${t.id}` : `tag:${t.key}${t.value === null ? '' : `=${t.value}`}`;
    return t.not ? `not ${body}` : body;
  }).join(',');
}

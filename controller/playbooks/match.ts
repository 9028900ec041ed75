// Pure questions a playbook asks of an alert and the fleet: does it match, which hosts
// does a selector pick, which port is `$port`. No I/O, no clock.
import { isCoreHost, severityRank, type AlertSummary } from '../pipeline/stage-types.ts';
import type { Playbook, Selector, SelectorTerm, WhenPortRange } from './schema.ts';

/** One enrolled host as the playbooks see it. */
export interface FleetHost {
  id: string;
  tags: Readonly<Record<string, string>>;
  online: boolean;
}

/** A host of an alert, with the alert's signatures it shows. */
export interface AlertHost {
  hostId: string;
  signatures: readonly string[];
}

/**
 * What the engine may know of the fleet when a transition arrives. The controller builds
 * it from its host registry and the pipeline's alert book (see the wiring notes in engine.ts).
 */
export interface FleetView {
  /** Every enrolled host. */
  hosts(): Iterable<FleetHost>;
  host(id: string): FleetHost | undefined;
  /** Enrolled hosts; the blast radius is a share of it. */
  size(): number;
  /** The hosts of an alert and which of its signatures each shows. */
  alertHosts(alertId: string): readonly AlertHost[];
}

/** A FleetView over plain data (tests, the simulator, snapshots). */
export function staticFleet(hosts: FleetHost[], alertHosts: Record<string, AlertHost[]> = {}): FleetView & {
  setAlertHosts(alertId: string, hosts: AlertHost[]): void;
} {
  const byId = new Map(hosts.map((h) => [h.id, h]));
  const alerts = new Map(Object.entries(alertHosts));
  return {
    hosts: () => byId.values(),
    host: (id) => byId.get(id),
    size: () => byId.size,
    alertHosts: (id) => alerts.get(id) ?? [],
    setAlertHosts: (id, hs) => void alerts.set(id, hs),
  };
}

// ------------------------------------------------------------- globs

const globCache = new Map<string, RegExp>();

/** `*` any run, `?` one character; everything else literal. */
export function globMatch(glob: string, value: string): boolean {
  if (!/[*?]/.test(glob)) return glob === value;
  let re = globCache.get(glob);
  if (!re) {
    re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    if (globCache.size > 1000) globCache.clear();
    globCache.set(glob, re);
  }
  return re.test(value);
}

const anyGlob = (globs: readonly string[], value: string) => globs.some((g) => globMatch(g, value));

// ------------------------------------------------------------- tags

const FALSE_TAG = ['false', '0', 'no'];

/** `KEY` = the host carries the key (any value but false/0/no); `KEY=VALUE` = exactly. */
export function hasTag(tags: Readonly<Record<string, string>>, key: string, value: string | null): boolean {
  const v = tags[key];
  if (v === undefined) return false;
  return value === null ? !FALSE_TAG.includes(v.toLowerCase()) : v === value;
}

export function parseTagTest(text: string): { key: string; value: string | null } {
  const i = text.indexOf('=');
  return i < 0 ? { key: text, value: null } : { key: text.slice(0, i), value: text.slice(i + 1) };
}

/** The tag that keeps a host from ever being isolated by a playbook. */
export const NEVER_ISOLATE_TAG = 'never-isolate';
export const isNeverIsolate = (h: FleetHost | undefined): boolean => h !== undefined && hasTag(h.tags, NEVER_ISOLATE_TAG, null);
export const isCore = (h: FleetHost): boolean => isCoreHost(h.tags);

// ------------------------------------------------------------- when

export type MatchVerdict = { match: true; signatures: string[] } | { match: false; reason: string };

/** The alert's signatures `when` picks: matching a pattern and no exclusion (and on a `when.ports` port, when it names ports). */
export function matchedSignatures(pb: Playbook, alert: AlertSummary): string[] {
  const all = new Set([alert.rootCause, ...alert.signatures.map((s) => s.signature)].filter(Boolean));
  let out = [...all].filter((s) => anyGlob(pb.when.signatures, s) && !anyGlob(pb.when.exclude_signatures, s));
  if (pb.when.ports) {
    // with ports, the network signatures that count are those on the spreading port
    const ports = spreadingPorts(alert);
    out = out.filter((s) => {
      const p = OUTBOUND_SIG_RE.exec(s);
      return !p || ports.some((x) => x.protocol === p[1] && x.port === Number(p[2]));
    });
  }
  return out;
}

/** Outbound evidence of a port: a fan-out, or a first-ever connection to it. */
const OUTBOUND_SIG_RE = /^conn\.(?:fanout|new-port)\/(tcp|udp):(\d{1,5})$/;

/**
 * The ports an alert spreads on: the spread graph's port when it has one (the port of the
 * contacts that reached the next hosts), else every port of its outbound evidence.
 */
export function spreadingPorts(alert: AlertSummary): Array<{ protocol: 'tcp' | 'udp'; port: number }> {
  if (alert.spread.port && alert.classification === 'propagating') return [alert.spread.port];
  const out: Array<{ protocol: 'tcp' | 'udp'; port: number }> = [];
  for (const s of alert.signatures) {
    const m = OUTBOUND_SIG_RE.exec(s.signature);
    if (m && Number(m[2]) > 0) out.push({ protocol: m[1] as 'tcp' | 'udp', port: Number(m[2]) });
  }
  return out;
}

const inRanges = (ranges: readonly WhenPortRange[], p: { protocol: string; port: number }) =>
  ranges.some((r) => r.protocol === p.protocol && p.port >= r.from && p.port <= r.to);

/** Does this alert, as it is now, call for this playbook? The reason says why not. */
export function whenMatches(pb: Playbook, alert: AlertSummary, fleet: FleetView): MatchVerdict {
  const w = pb.when;
  if (alert.status === 'resolved') return { match: false, reason: 'the alert is resolved' };
  if (w.scope !== 'any' && alert.scope !== w.scope) return { match: false, reason: `scope ${alert.scope}, the playbook wants ${w.scope}` };
  if (w.classification !== 'any' && alert.classification !== w.classification) {
    return { match: false, reason: `classification ${alert.classification}, the playbook wants ${w.classification}` };
  }
  if (alert.hostCount < w.min_hosts) return { match: false, reason: `${alert.hostCount} hosts, fewer than min_hosts ${w.min_hosts}` };
  if (severityRank(alert.severity) < severityRank(w.min_severity)) {
    return { match: false, reason: `severity ${alert.severity}, below min_severity ${w.min_severity}` };
  }
  const sigs = matchedSignatures(pb, alert);
  if (sigs.length === 0) return { match: false, reason: 'no signature of the alert matches when.signatures' };
  if (w.ports) {
    const ports = spreadingPorts(alert).filter((p) => !inRanges(w.exclude_ports, p));
    if (!ports.some((p) => inRanges(w.ports!, p))) {
      const shown = spreadingPorts(alert).map((p) => `${p.protocol}/${p.port}`).join(', ') || 'none';
      return { match: false, reason: `the alert spreads on ${shown}, not on a port of when.ports (or the port is in exclude_ports)` };
    }
  }
  if (w.host_tags && w.host_tags.length > 0) {
    const tests = w.host_tags.map(parseTagTest);
    const tagged = fleet.alertHosts(alert.id).some((ah) => {
      const h = fleet.host(ah.hostId);
      return h !== undefined && tests.some((t) => hasTag(h.tags, t.key, t.value));
    });
    if (!tagged) return { match: false, reason: `no host of the alert carries ${w.host_tags.join(' or ')}` };
  }
  return { match: true, signatures: sigs };
}

/**
 * Hosts of the alert an isolate step acts on. `showing` narrows to hosts showing one of
 * the globs (`$matched` = the signatures `when` matched). Hosts announced in newHosts but
 * not yet in the view count as showing nothing.
 */
export function isolateTargets(
  alertHosts: readonly AlertHost[], showing: readonly string[] | undefined, matched: readonly string[], graphHosts: readonly string[] = [],
): string[] {
  if (!showing || showing.length === 0) return alertHosts.map((h) => h.hostId);
  const globs = showing.flatMap((g) => (g === '$matched' ? matched : g === '$graph' ? [] : [g]));
  const graph = showing.includes('$graph') ? new Set(graphHosts) : new Set<string>();
  return alertHosts.filter((h) => graph.has(h.hostId) || h.signatures.some((s) => anyGlob(globs, s))).map((h) => h.hostId);
}

// ------------------------------------------------------------- selectors

function termPicks(t: SelectorTerm, h: FleetHost, inAlert: ReadonlySet<string>): boolean {
  switch (t.kind) {
    case 'all':
      return true;
    case 'alert':
      return inAlert.has(h.id);
    case 'tag':
      return hasTag(h.tags, t.key, t.value);
  }
}

/** Hosts a selector picks: any include term, and no exclude term. */
export function selectHosts(sel: Selector, fleet: FleetView, inAlert: ReadonlySet<string>): FleetHost[] {
  const out: FleetHost[] = [];
  for (const h of fleet.hosts()) {
    if (!sel.include.some((t) => termPicks(t, h, inAlert))) continue;
    if (sel.exclude.some((t) => termPicks(t, h, inAlert))) continue;
    out.push(h);
  }
  return out;
}

// ------------------------------------------------------------- $port

export interface AlertPort {
  port: number;
  protocol: 'tcp' | 'udp';
  /** Where it came from, for the run record. */
  from: string;
}

const SIG_PORT_RE = /(tcp|udp)[:/](\d{1,5})$/i;

function portOf(text: string): { port: number; protocol: 'tcp' | 'udp' } | null {
  const m = SIG_PORT_RE.exec(text);
  if (!m) return null;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { port, protocol: m[1]!.toLowerCase() as 'tcp' | 'udp' } : null;
}

/**
 * The alert's dominant remote port: from the matched signatures (most hosts first), then
 * the root cause, the other signatures, and last the evidence's most counted remote port.
 */
export function dominantPort(alert: AlertSummary, matched: readonly string[]): AlertPort | null {
  // the contacts that reached the next hosts name the port best
  const sp = alert.classification === 'propagating' ? alert.spread.port : null;
  if (sp) return { port: sp.port, protocol: sp.protocol, from: `spread graph (${alert.spread.edges} contacts between affected hosts)` };
  const hostsOf = new Map(alert.signatures.map((s) => [s.signature, s.hosts]));
  const ordered = [...matched].sort((a, b) => (hostsOf.get(b) ?? 0) - (hostsOf.get(a) ?? 0) || (a < b ? -1 : 1));
  for (const s of [...ordered, alert.rootCause, ...alert.signatures.map((x) => x.signature)]) {
    const p = s ? portOf(s) : null;
    if (p) return { ...p, from: `signature ${s}` };
  }
  const top = alert.evidence.remotePorts[0];
  const p = top ? portOf(top.value) : null;
  return p ? { ...p, from: `evidence remote port ${top!.value}` } : null;
}

// Shared vocabulary of the stages after ingest (suppress → correlate → alerts → act; contacts feed the spread graph).
// Wire shapes come from proto/ (AnomalyEvent__Output) and the stored event from
// ingest.ts; operator input (silences) is a zod schema with its type inferred.
// Nothing here does I/O or reads the clock: time is always passed in.
import { z } from 'zod';
import type { AnomalyKind__Output } from '../../proto/wire.ts';
import type { IngestedEvent } from './ingest.ts';

/**
 * What the pipeline is fed: a stored event plus what the controller knows of its host.
 * clockOffsetMs is agent clock minus controller clock (Host.clock_offset_ms), so the
 * event's onset on the controller's clock is event.observedAtMs - clockOffsetMs.
 */
export type PipelineEvent = IngestedEvent & {
  hostTags: Readonly<Record<string, string>>;
  clockOffsetMs: number;
};

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

export type AlertStatus = 'open' | 'acknowledged' | 'resolved';
/** fleet: a master alert (an incident across hosts); host: one lone host and one signature. */
export type AlertScope = 'fleet' | 'host';
export type Classification = 'propagating' | 'simultaneous' | 'unknown';
export type ResolvedReason = 'quiet' | 'cleared' | 'merged';
export type TransitionType = 'opened' | 'updated' | 'escalated' | 'resolved' | 'acknowledged';

export interface CountedValue {
  value: string;
  count: number;
}

export interface SignatureView {
  signature: string;
  kind: AnomalyKind__Output;
  /** Specificity, higher = names the cause more precisely (see signatureRank). */
  rank: number;
  /** Anchors bring their hosts into the incident; other signatures only add events of member hosts. */
  anchor: boolean;
  events: number;
  hosts: number;
  firstSeenMs: number;
  lastSeenMs: number;
}

export interface HostView {
  hostId: string;
  core: boolean;
  /** Earliest onset of this host in the alert, on the controller's clock (observed - clock offset). */
  onsetMs: number;
  clockOffsetMs: number;
  firstSeenMs: number;
  lastSeenMs: number;
  events: number;
  /** False once every signature of the alert on this host was cleared by the agent. */
  active: boolean;
}

export interface TimelineBucket {
  startMs: number;
  newHosts: number;
  totalHosts: number;
}

/** A master alert or host line as operators and playbooks see it (derived, read-only). */
export interface AlertSummary {
  id: string;
  scope: AlertScope;
  status: AlertStatus;
  severity: Severity;
  classification: Classification;
  flapping: boolean;
  rootCause: string;
  signatures: SignatureView[];
  patientZero: { hostId: string; onsetMs: number } | null;
  hostCount: number;
  coreHostCount: number;
  firstSeenMs: number;
  lastSeenMs: number;
  openedAtMs: number;
  resolvedAtMs: number | null;
  resolvedReason: ResolvedReason | null;
  mergedInto: string | null;
  acknowledgedAtMs: number | null;
  acknowledgedBy: string | null;
  /** Stored events folded into this alert (counted, never copied). */
  eventCount: number;
  /** Sum of the agents' per-event repeat counts. */
  occurrences: number;
  /** Events matching a silence that arrived for this alert's hosts and signatures. */
  suppressedEvents: number;
  doublingTimeMs: number | null;
  /** Contact tracing: the spread tree's root, port and hosts (fleet alerts). */
  spread: SpreadSummary;
  timelineBucketMs: number;
  timeline: TimelineBucket[];
  evidence: { exe: CountedValue[]; sha256: CountedValue[]; remotePorts: CountedValue[] };
}

/**
 * One edge of an incident's spread tree: `from` contacted `to` on port before `to`'s onset.
 * corroborated = seen from both ends (from's outbound and to's inbound contact).
 */
export interface SpreadEdge {
  from: string;
  to: string;
  protocol: 'tcp' | 'udp';
  port: number;
  /** When the contact was first seen, on the controller's clock. */
  atMs: number;
  corroborated: boolean;
}

export interface SpreadNode {
  hostId: string;
  onsetMs: number;
  /** The host that contacted it before its onset (its tree parent), null for a root or an untraced host. */
  parent: string | null;
  /** 0 for a root of the tree; null when the host is in no tree (no edge in or out). */
  generation: number | null;
}

/** The incident's spread graph (contact tracing), as `firebreak alert <id>` prints it. */
export interface SpreadView {
  /** Hosts of the incident whose agents trace contacts; 0 = classification fell back on onset timing. */
  tracedHosts: number;
  /** Root of the largest tree: patient zero when there is a tree. */
  root: string | null;
  /** The port most tree edges use: the spreading port. */
  port: { protocol: 'tcp' | 'udp'; port: number } | null;
  /** The incident's most common binary (new-process evidence). */
  binary: { sha256: string | null; exe: string | null };
  /** Longest chain, in edges (2 or more = a host infected by an infected host infected another). */
  generations: number;
  nodes: SpreadNode[];
  edges: SpreadEdge[];
}

/** What a summary says of the spread graph (the detail has the whole of it). */
export interface SpreadSummary {
  root: string | null;
  port: { protocol: 'tcp' | 'udp'; port: number } | null;
  edges: number;
  generations: number;
  /** Hosts in a tree (with an edge in or out): what a playbook isolates as "the graph". */
  graphHosts: string[];
  tracedHosts: number;
}

export interface AlertDetail extends AlertSummary {
  hosts: HostView[];
  spreadGraph: SpreadView;
}

export interface AlertTransition {
  type: TransitionType;
  atMs: number;
  alert: AlertSummary;
  /** Hosts that joined since the previous transition of this alert (for playbooks acting incrementally). */
  newHosts: string[];
  previousSeverity: Severity | null;
}

export type ActHook = (t: AlertTransition) => void;

// ------------------------------------------------------------- shared rules

/**
 * Signature specificity, used to name the root cause and to decide what may open an
 * incident alone. A new binary by hash names the cause best; network behaviour (a port
 * fan-out, a new port, a new listener) is next, since worms are defined by how they
 * spread; resource symptoms (cpu, memory, disk) are effects many causes share.
 * Ranks below GENERIC_RANK are "generic": they open a master alert only when a share
 * of the fleet shows them, and they cannot pull a specific signature into their incident.
 */
export const GENERIC_RANK = 50;

export function signatureRank(kind: AnomalyKind__Output, signature: string): number {
  switch (kind) {
    case 'PROCESS_NEW':
      return signature.includes('sha256:') ? 100 : 80;
    case 'CONN_FANOUT':
      return 90;
    case 'CONN_NEW_PORT':
    case 'LISTEN_NEW':
      return 85;
    case 'ENFORCEMENT_DRIFT':
      return 60;
    case 'PROCESS_COUNT':
      return 40;
    case 'DISK_IO':
      return 20;
    case 'MEMORY':
      return 15;
    case 'CPU':
      return 10;
    case 'DISK_USAGE':
      return 5;
    default:
      // Unspecified kind: fall back on the signature's family.
      if (signature.startsWith('proc.new')) return signature.includes('sha256:') ? 100 : 80;
      if (signature.startsWith('conn.fanout')) return 90;
      if (signature.startsWith('conn.') || signature.startsWith('listen.')) return 85;
      return 30;
  }
}

export const isGenericRank = (rank: number): boolean => rank < GENERIC_RANK;

/**
 * One-shot signatures report a fact once (a new binary ran, a first-ever remote port, a new
 * listener) and clear a sample later; their clearing says nothing about whether the host
 * is still infected, so they keep a host in its incident until the incident goes quiet.
 */
export function isOneShotKind(kind: AnomalyKind__Output): boolean {
  return kind === 'PROCESS_NEW' || kind === 'CONN_NEW_PORT' || kind === 'LISTEN_NEW';
}

/**
 * Core assets: tags are a string map, so a host is core when it carries the key `core`
 * (any value but "false", "0" or "no") or `role=core`.
 */
export function isCoreHost(tags: Readonly<Record<string, string>>): boolean {
  const v = tags['core'];
  if (v !== undefined && !['false', '0', 'no'].includes(v.toLowerCase())) return true;
  return tags['role'] === 'core';
}

// ------------------------------------------------------------- silences

/** Matches one field of an event: exact text, or a glob where `*` is any run and `?` one character. */
export const MatcherSchema = z
  .object({
    field: z.enum(['signature', 'host', 'tag']),
    /** The tag key, for field = 'tag'. */
    tag: z.string().min(1).max(64).optional(),
    value: z.string().min(1).max(256),
  })
  .refine((m) => m.field !== 'tag' || m.tag !== undefined, {
    message: "a tag matcher needs 'tag', the tag key (e.g. tag role = db)",
  });
export type Matcher = z.infer<typeof MatcherSchema>;

/** What an operator asks for: `firebreak silence add`. All matchers must match (AND). */
export const SilenceSpecSchema = z
  .object({
    kind: z.enum(['silence', 'maintenance']).default('silence'),
    matchers: z.array(MatcherSchema).min(1, 'a silence needs at least one matcher').max(32),
    startsAtMs: z.number().int().nonnegative().optional(),
    endsAtMs: z.number().int().positive(),
    createdBy: z.string().max(128).default(''),
    comment: z.string().max(1024).default(''),
  })
  .refine((s) => s.startsAtMs === undefined || s.startsAtMs < s.endsAtMs, {
    message: 'the silence ends before it starts: endsAtMs must be after startsAtMs',
  });
export type SilenceSpec = z.input<typeof SilenceSpecSchema>;

export const SilenceSchema = z.object({
  id: z.string(),
  kind: z.enum(['silence', 'maintenance']),
  matchers: z.array(MatcherSchema),
  startsAtMs: z.number(),
  endsAtMs: z.number(),
  createdAtMs: z.number(),
  createdBy: z.string(),
  comment: z.string(),
  /** Events it muted so far. */
  matched: z.number(),
});
export type Silence = z.infer<typeof SilenceSchema>;
export type SilenceState = 'pending' | 'active' | 'expired';
export type SilenceView = Silence & { state: SilenceState };

/**
 * An operator's request a stage cannot do: `not-found` when what it names does not exist,
 * `invalid` otherwise. The operator API maps the kind to NOT_FOUND or INVALID_ARGUMENT,
 * so no caller reads the wording of a message to decide.
 */
export class StageError extends Error {
  constructor(message: string, readonly kind: 'not-found' | 'invalid' = 'invalid') {
    super(message);
  }
}

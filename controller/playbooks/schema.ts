// The playbook file format: one zod schema, and the types inferred from it. What an
// operator writes (durations like "10m", ports like 25, "8000-8080" or "$port",
// selectors like "not tag:mail-relay", remote scopes like "internet" or a CIDR) is
// parsed here into plain values the engine uses as is; the loader maps every issue
// back to the line of the file it came from.
import { z } from 'zod';
import { SEVERITIES } from '../pipeline/stage-types.ts';
import { parseCidr } from '../../proto/cidr.ts';

// ------------------------------------------------------------- durations

/** Milliseconds, or undefined when the text is not a duration (one grammar: proto/duration.ts). */
import { parseDurationMs as parseDuration } from '../../proto/duration.ts';
export { parseDuration };

/** The URL when the text is an http(s) URL, else undefined (checked at load and again after ${VAR} expansion). */
export function httpUrl(text: string): URL | undefined {
  try {
    const u = new URL(text);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : undefined;
  } catch {
    return undefined;
  }
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

const durationMsg = (v: unknown) =>
  `${JSON.stringify(v)} is not a duration: write a number and a unit, e.g. 30s, 10m, 1h or 1h30m (units ms, s, m, h, d)`;

const Duration = z.unknown().transform((v, ctx): number => {
  const ms = typeof v === 'string' ? parseDuration(v) : undefined;
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: ms === 0 ? 'a duration must be longer than zero' : durationMsg(v) });
    return z.NEVER;
  }
  return ms;
});

/** An expiry: a duration, or `alert` = lifted when the alert that caused it resolves. */
const Expiry = z.unknown().transform((v, ctx): number | 'alert' => {
  if (v === 'alert') return 'alert';
  const ms = typeof v === 'string' ? parseDuration(v) : undefined;
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `${durationMsg(v)}, or 'alert' to lift it when the alert resolves` });
    return z.NEVER;
  }
  return ms;
});

// ------------------------------------------------------------- globs

const GLOB_RE = /^[\x21-\x7e]{1,256}$/;
const Glob = z.string({ error: 'a signature pattern must be a string, e.g. conn.fanout/tcp:*' }).regex(GLOB_RE, {
  message: 'a signature pattern is 1-256 printable characters without spaces; * matches any run, ? one character',
});

/** One string or a list of them; YAML writers use both. */
function listOf<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => (typeof v === 'string' || typeof v === 'number' ? [v] : v), z.array(item));
}

// ------------------------------------------------------------- ports

export type PortRange = { from: number; to: number };
/** `$port`: the alert's dominant remote port (conn.fanout/tcp:25 → 25), resolved when a run starts. */
export type PortItem = PortRange | '$port';

const portMsg = (v: unknown) => `port ${JSON.stringify(v)} is out of range: ports are 1-65535`;

const Port = z.unknown().transform((v, ctx): PortItem => {
  if (v === '$port') return '$port';
  const one = (n: number) => Number.isInteger(n) && n >= 1 && n <= 65535;
  if (typeof v === 'number') {
    if (!one(v)) {
      ctx.addIssue({ code: 'custom', message: portMsg(v) });
      return z.NEVER;
    }
    return { from: v, to: v };
  }
  const m = typeof v === 'string' ? /^\s*(\d{1,6})\s*(?:-\s*(\d{1,6})\s*)?$/.exec(v) : null;
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `bad port ${JSON.stringify(v)}: give a number 1-65535, a range like 8000-8080, or $port (the alert's port)` });
    return z.NEVER;
  }
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (!one(from) || !one(to)) {
    ctx.addIssue({ code: 'custom', message: portMsg(one(from) ? to : from) });
    return z.NEVER;
  }
  if (to < from) {
    ctx.addIssue({ code: 'custom', message: `port range ${from}-${to} is backwards: the first port must not exceed the last` });
    return z.NEVER;
  }
  return { from, to };
});

// ------------------------------------------------------------- remote scope

/** RFC 1918 and IPv6 unique-local: what "internally" means for a block. */
export const PRIVATE_CIDRS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'] as const;

export type RemoteScope = { internet: boolean; cidrs: string[] };

const RemoteItem = z.unknown().transform((v, ctx): RemoteScope => {
  if (v === 'internet') return { internet: true, cidrs: [] };
  if (v === 'private') return { internet: false, cidrs: [...PRIVATE_CIDRS] };
  if (typeof v !== 'string') {
    ctx.addIssue({ code: 'custom', message: `remote ${JSON.stringify(v)} must be a CIDR (10.0.0.0/8), 'private' or 'internet'` });
    return z.NEVER;
  }
  try {
    return { internet: false, cidrs: [parseCidr(v).text] };
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `${(err as Error).message}; or write 'private' or 'internet'` });
    return z.NEVER;
  }
});

const Remote = listOf(RemoteItem).transform((items): RemoteScope => ({
  internet: items.some((i) => i.internet),
  cidrs: [...new Set(items.flatMap((i) => i.cidrs))],
}));

// ------------------------------------------------------------- host selectors

export type SelectorTerm = { kind: 'all' } | { kind: 'alert' } | { kind: 'tag'; key: string; value: string | null };
export type Selector = { include: SelectorTerm[]; exclude: SelectorTerm[] };

const TAG_RE = /^tag:([A-Za-z0-9_.\/-]{1,64})(?:=(.{1,128}))?$/;

const SelectorItem = z.unknown().transform((v, ctx): { not: boolean; term: SelectorTerm } => {
  const text = typeof v === 'string' ? v.trim() : '';
  const not = /^not\s+/.test(text);
  const body = text.replace(/^not\s+/, '');
  if (body === 'all' && !not) return { not, term: { kind: 'all' } };
  if (body === 'alert') return { not, term: { kind: 'alert' } };
  const m = TAG_RE.exec(body);
  if (m) return { not, term: { kind: 'tag', key: m[1]!, value: m[2] ?? null } };
  ctx.addIssue({
    code: 'custom',
    message: `bad host selector ${JSON.stringify(v)}: use all, alert, tag:KEY, tag:KEY=VALUE, or 'not' before alert or a tag (e.g. "not tag:mail-relay")`,
  });
  return z.NEVER;
});

const Selector = listOf(SelectorItem)
  .refine((items) => items.length > 0, { message: 'hosts needs at least one selector, e.g. [all] or ["not tag:mail-relay"]' })
  .transform((items): Selector => {
    const include = items.filter((i) => !i.not).map((i) => i.term);
    // only exclusions: they carve out of the whole fleet
    return { include: include.length ? include : [{ kind: 'all' }], exclude: items.filter((i) => i.not).map((i) => i.term) };
  });

// ------------------------------------------------------------- when.ports

/** A port or range, optionally prefixed with its protocol: 25, "tcp/25", "udp/53", "1-65535". */
export type WhenPortRange = { protocol: 'tcp' | 'udp'; from: number; to: number };

const WhenPort = z.unknown().transform((v, ctx): WhenPortRange => {
  const text = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '';
  const m = /^(?:(tcp|udp)\/)?(\d{1,6})(?:-(\d{1,6}))?$/.exec(text);
  const from = m ? Number(m[2]) : NaN;
  const to = m ? (m[3] === undefined ? from : Number(m[3])) : NaN;
  if (!m || !(from >= 1 && to <= 65535 && from <= to)) {
    ctx.addIssue({ code: 'custom', message: `bad port ${JSON.stringify(v)}: give 1-65535, a range like 1-1024, or tcp/25, udp/53` });
    return z.NEVER;
  }
  return { protocol: (m[1] as 'tcp' | 'udp' | undefined) ?? 'tcp', from, to };
});

// ------------------------------------------------------------- actions

const BlockSpec = {
  ports: listOf(Port).refine((p) => p.length > 0 && p.length <= 64, { message: 'ports needs 1-64 entries, e.g. [25, 587] or [$port]' }),
  /** Default tcp; with `$port`, the protocol of the alert's signature. */
  protocol: z.enum(['tcp', 'udp'], { error: "protocol must be 'tcp' or 'udp'" }).optional(),
  direction: z.enum(['in', 'out', 'both'], { error: "direction must be 'in', 'out' or 'both'" }).default('out'),
  /** Absent = anywhere. */
  remote: Remote.optional(),
};

const BlockSetEntry = z.strictObject(BlockSpec);
export type BlockSetEntry = z.infer<typeof BlockSetEntry>;

const IsolateAction = z.preprocess(
  (v) => v ?? {},
  z.strictObject({
    /**
     * Only hosts of the alert showing one of these signatures (globs; `$matched` = what `when`
     * matched; `$graph` = every host in the alert's spread graph, whatever it shows so far).
     */
    showing: listOf(Glob).optional(),
    /** Destinations kept reachable through isolation, besides the controller (CIDRs). */
    allow: listOf(z.string().transform((v, ctx) => {
      try {
        return parseCidr(v).text;
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    })).optional(),
    expiry: Expiry.optional(),
  }),
);

const BlockAction = z.strictObject({
  ...BlockSpec,
  hosts: Selector,
  expiry: Expiry.optional(),
});

const CorePostureAction = z.strictObject({
  /** The stricter block set applied to hosts tagged core. */
  blocks: z.array(BlockSetEntry).min(1, 'raise_core_posture needs at least one entry in blocks'),
  /** Default `alert`: lifted when the alert resolves. */
  expiry: Expiry.default('alert'),
});

/**
 * Williamson's virus throttle on a selector of hosts: new destinations at `rate` a second
 * (burst `burst`), destinations used within `working_set` free. Default `expiry: alert`:
 * lifted (unthrottle) when the alert resolves, as the run ends.
 */
const ThrottleAction = z.strictObject({
  hosts: Selector,
  rate: z.number({ error: 'rate must be a whole number of new destinations per second, 1-1000' }).int().min(1).max(1000).default(1),
  burst: z.number({ error: 'burst must be a whole number of connections, 1-10000' }).int().min(1).max(10_000).default(5),
  working_set: Duration.refine((ms) => ms >= 1000 && ms <= 86_400_000, { message: 'working_set must be 1s to 24h' }).default(60_000),
  expiry: Expiry.default('alert'),
});

const PLACEHOLDER_RE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** An http(s) URL, or one with `${NAME}` placeholders filled from the controller's environment when the run fires. */
const UrlOrPlaceholder = (field: string) =>
  z.string({ error: `notify needs ${field}: an http(s) URL or \${ENV_VAR}` }).superRefine((url, ctx) => {
    if (/\$\{/.test(url)) {
      const rest = url.replace(PLACEHOLDER_RE, '');
      if (rest.includes('${')) ctx.addIssue({ code: 'custom', message: `bad placeholder in ${JSON.stringify(url)}: write \${NAME} with letters, digits and _` });
      return;
    }
    if (!httpUrl(url)) {
      ctx.addIssue({ code: 'custom', message: `${field} ${JSON.stringify(url)} is not an http(s) URL (or \${ENV_VAR})` });
    }
  });

/** Labels Firebreak sets itself in the Alertmanager format; `labels:` may not override them. */
export const ALERTMANAGER_LABELS = ['alertname', 'severity', 'alert_id', 'scope', 'classification', 'signature', 'port', 'patient_zero', 'playbook'] as const;

const NotifyAction = z.strictObject({
  url: UrlOrPlaceholder('url'),
  /** Bounded delivery attempts, with exponential backoff between them. */
  attempts: z.number().int().min(1).max(10).default(5),
  timeout: Duration.default(5_000),
  /**
   * firebreak: one post per run with the alert as Firebreak sees it. alertmanager: the JSON
   * Alertmanager's webhook receiver posts (version 4), `firing` when the run starts (again,
   * with the old labels resolved, when an escalation changes them) and `resolved` when the
   * alert resolves, so receivers built for Alertmanager route it as they do their own alerts.
   */
  format: z.enum(['firebreak', 'alertmanager'], { error: "format must be 'firebreak' or 'alertmanager'" }).default('firebreak'),
  /** alertmanager: the payload's `receiver`; default the playbook's name. */
  receiver: z.string().min(1).max(200).optional(),
  /** alertmanager: `externalURL`, and the base of each alert's `generatorURL`. */
  external_url: UrlOrPlaceholder('external_url').optional(),
  /** alertmanager: static labels added to every alert (e.g. team: secops). */
  labels: z.record(z.string(), z.string({ error: 'a label value is a non-empty string' }).min(1).max(1024)).optional(),
}).superRefine((n, ctx) => {
  // key checks here, not in the record's key schema: zod reports those only as "Invalid key in record"
  for (const k of Object.keys(n.labels ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) {
      ctx.addIssue({ code: 'custom', path: ['labels', k], message: `label name ${JSON.stringify(k)}: use letters, digits and _, not starting with a digit` });
    } else if ((ALERTMANAGER_LABELS as readonly string[]).includes(k)) {
      ctx.addIssue({ code: 'custom', path: ['labels', k], message: `labels may not set ${k}: Firebreak sets ${ALERTMANAGER_LABELS.join(', ')} itself` });
    }
  }
  if (n.format === 'alertmanager') return;
  for (const k of ['receiver', 'external_url', 'labels'] as const) {
    if (n[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: `${k} applies to format: alertmanager only; add format: alertmanager or remove ${k}` });
  }
});

export const ACTION_KINDS = ['isolate', 'block', 'raise_core_posture', 'notify', 'throttle'] as const;
export type StepKind = (typeof ACTION_KINDS)[number];

const ActionItem = z
  .strictObject({
    isolate: IsolateAction.optional(),
    block: BlockAction.optional(),
    raise_core_posture: CorePostureAction.optional(),
    notify: NotifyAction.optional(),
    throttle: ThrottleAction.optional(),
  }, {
    error: (iss) =>
      iss.code === 'invalid_type'
        ? `each step of do is one action: ${ACTION_KINDS.join(', ')}`
        : iss.code === 'unrecognized_keys'
          ? `unknown action ${iss.keys.map((k) => `'${k}'`).join(', ')}: use one of ${ACTION_KINDS.join(', ')}`
          : undefined,
  })
  .superRefine((a, ctx) => {
    const n = ACTION_KINDS.filter((k) => k in a).length;
    if (n !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: n === 0 ? `a step names no action: use one of ${ACTION_KINDS.join(', ')}` : 'a step names more than one action: write each as its own list item',
      });
    }
  })
  .transform((a): PlaybookStep => {
    if (a.isolate) return { kind: 'isolate', ...a.isolate };
    if (a.block) return { kind: 'block', ...a.block };
    if (a.raise_core_posture) return { kind: 'raise_core_posture', ...a.raise_core_posture };
    if (a.throttle) return { kind: 'throttle', ...a.throttle };
    return { kind: 'notify', ...a.notify! };
  });

export type IsolateStep = { kind: 'isolate' } & z.infer<typeof IsolateAction>;
export type BlockStep = { kind: 'block' } & z.infer<typeof BlockAction>;
export type CorePostureStep = { kind: 'raise_core_posture' } & z.infer<typeof CorePostureAction>;
export type NotifyStep = { kind: 'notify' } & z.infer<typeof NotifyAction>;
export type ThrottleStep = { kind: 'throttle' } & z.infer<typeof ThrottleAction>;
export type PlaybookStep = IsolateStep | BlockStep | CorePostureStep | NotifyStep | ThrottleStep;

// ------------------------------------------------------------- the playbook

const TagTest = z.string().regex(/^[A-Za-z0-9_.\/-]{1,64}(?:=.{1,128})?$/, { message: 'a host tag is KEY or KEY=VALUE, e.g. role=mail' });

export const PLAYBOOK_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export const PlaybookSchema = z.strictObject({
  name: z.string({ error: 'name is missing: give the playbook a name (lowercase letters, digits, - and _)' }).regex(PLAYBOOK_NAME_RE, {
    message: 'name must be lowercase letters, digits, - and _, starting with a letter or digit, at most 63 characters',
  }),
  description: z.string().max(1024).default(''),
  enabled: z.boolean({ error: 'enabled must be true or false' }).default(true),
  mode: z.enum(['enforce', 'dry-run'], { error: "mode must be 'enforce' or 'dry-run'" }).default('enforce'),
  /** After a run for an alert, no new run of this playbook for the same alert within this time. */
  cooldown: Duration.default(600_000),
  when: z.strictObject({
    /** Default: any signature (then `ports` says what the playbook is for). */
    signatures: listOf(Glob).refine((s) => s.length > 0, { message: 'when.signatures needs at least one pattern, e.g. conn.fanout/*' }).default(['*']),
    /** Matching signatures that do not count (another playbook handles them). */
    exclude_signatures: listOf(Glob).default([]),
    /**
     * The alert spreads on one of these ports (TCP unless `udp/53`): the spread graph's port,
     * or where the alert has no graph, a port of its outbound evidence (conn.fanout/tcp:P,
     * conn.new-port/tcp:P). `$port` then is that port.
     */
    ports: listOf(WhenPort).optional(),
    /** The alert's spreading port is one of these: no match (another playbook's port). */
    exclude_ports: listOf(WhenPort).default([]),
    /** `any` matches every classification; isolation still needs an explicit `simultaneous` for simultaneous alerts. */
    classification: z.enum(['propagating', 'simultaneous', 'any'], { error: "classification must be propagating, simultaneous or any" }).default('propagating'),
    min_hosts: z.number().int().min(1).default(1),
    min_severity: z.enum(SEVERITIES, { error: `min_severity must be one of ${SEVERITIES.join(', ')}` }).default('warning'),
    /** fleet = master alerts; host = one host's lone signature. */
    scope: z.enum(['fleet', 'host', 'any']).default('fleet'),
    /** At least one host of the alert carries one of these tags (KEY or KEY=VALUE). */
    host_tags: listOf(TagTest).optional(),
  }, { error: (iss) => (iss.code === 'invalid_type' ? 'when is missing: say which alerts this playbook acts on (when.signatures)' : undefined) }),
  do: z.array(ActionItem, { error: 'do is missing: list the actions, e.g. - isolate: {}' }).min(1, 'do needs at least one action'),
  guards: z
    .strictObject({
      /** Automatic isolations by this playbook within `window`; past it they wait for approval. */
      max_isolations: z.number().int().min(0).optional(),
      max_isolations_percent: z.number().min(0).max(100).optional(),
      window: Duration.optional(),
    })
    .default({}),
});

export type Playbook = z.infer<typeof PlaybookSchema>;
export type PlaybookInput = z.input<typeof PlaybookSchema>;

/** Names of `${VAR}` placeholders in a notify URL. */
export function placeholders(url: string): string[] {
  return [...url.matchAll(PLACEHOLDER_RE)].map((m) => m[1]!);
}

/** Replaces `${VAR}` from env; `missing` lists the unset ones. */
export function expandUrl(url: string, env: Readonly<Record<string, string | undefined>>): { url: string; missing: string[] } {
  const missing: string[] = [];
  const out = url.replace(PLACEHOLDER_RE, (_, name: string) => {
    const v = env[name];
    if (v === undefined || v === '') missing.push(name);
    return v ?? '';
  });
  return { url: out, missing };
}

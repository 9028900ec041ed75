// The dashboard's JSON API: each route is one or a few Operator RPCs called in
// process (controller/operator-rpc.ts invokeOperator), so authentication, role
// checks, validation and audit are the operator API's own. A dry run ("dryRun":
// true) passes the same gate for the RPC it stands for, then describes what that
// RPC would change, from the same reads and the same validators, and changes nothing.
import * as grpc from '@grpc/grpc-js';
import type { CommandView__Output, EventView__Output, Host__Output, IssueCommandRequest, PortBlock__Output } from '../../proto/wire.ts';
import { checkAgentId, checkAllowEntry, checkCidr, checkPortBlock, checkText, parsePortList, ValidationError } from '../../proto/validate.ts';
import { parseDurationMs } from '../../proto/duration.ts';
import { parseMatcher } from '../pipeline/pipeline.ts';
import { parseSelector, resolveSelector } from '../host-selector.ts';
import type { Operator } from '../operator-rpc.ts';
import { OperatorCallError } from '../operator-rpc.ts';
import type { LastAnomalies, LastAnomaly } from './last-anomaly.ts';

/** An answer other than 200, with a message for `{error}`. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/** gRPC status → HTTP status, as the contract maps them. */
export function httpStatusOf(code: grpc.status): number {
  switch (code) {
    case grpc.status.UNAUTHENTICATED: return 401;
    case grpc.status.PERMISSION_DENIED: return 403;
    case grpc.status.NOT_FOUND: return 404;
    case grpc.status.INVALID_ARGUMENT: return 400;
    case grpc.status.FAILED_PRECONDITION: return 409;
    case grpc.status.RESOURCE_EXHAUSTED: return 429;
    // a full or damaged store: the message says which file and what to do
    case grpc.status.UNAVAILABLE: return 503;
    default: return 500;
  }
}

/** What a route may do on behalf of the session's operator. */
export interface ApiCaller {
  /** one Operator RPC, as this operator */
  call<T = unknown>(rpc: string, request: object): Promise<T>;
  /** runs fn behind the gate of `rpc` (its role, audited refusal) without calling it: for dry runs */
  guarded<T>(rpc: string, fn: (op: Operator) => Promise<T>): Promise<T>;
  now(): number;
  /** each host's last anomaly (the fleet page's column) */
  lastAnomalies: LastAnomalies;
}

export interface Preview {
  summary: string;
  changes: { target: string; what: string; from: string; to: string }[];
}

type Body = Record<string, unknown>;
type Params = string[];
export interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  run(api: ApiCaller, params: Params, body: Body, query: URLSearchParams): Promise<unknown>;
}

// ------------------------------------------------------------------ body fields

function field<T>(body: Body, name: string, type: 'string' | 'number' | 'boolean', required: boolean): T | undefined {
  const v = body[name];
  if (v === undefined || v === null) {
    if (required) throw new ValidationError(`${name} is missing from the request body`);
    return undefined;
  }
  if (typeof v !== type) throw new ValidationError(`${name} must be a ${type}, not ${Array.isArray(v) ? 'an array' : typeof v}`);
  return v as T;
}
const text = (b: Body, name: string, required = false) => field<string>(b, name, 'string', required);
const dryRun = (b: Body) => field<boolean>(b, 'dryRun', 'boolean', false) === true;

function strings(b: Body, name: string, max: number): string[] {
  const v = b[name];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new ValidationError(`${name} must be a list of strings`);
  if (v.length > max) throw new ValidationError(`${name} lists ${v.length} items; at most ${max} are allowed`);
  return v as string[];
}

/** "2h", "90m" or a number of milliseconds. */
function duration(b: Body, name: string, required: boolean): number | undefined {
  const v = b[name];
  if (v === undefined || v === null || v === '') {
    if (required) throw new ValidationError(`${name} is missing: give a duration such as "2h"`);
    return undefined;
  }
  const ms = typeof v === 'number' ? v : typeof v === 'string' ? parseDurationMs(v) : undefined;
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) throw new ValidationError(`${name} ${JSON.stringify(v)} is not a duration: give e.g. "90s", "15m", "2h" or "1h30m"`);
  return Math.round(ms);
}

const DIRECTIONS: Record<string, 'OUT' | 'IN' | 'BOTH'> = { outbound: 'OUT', out: 'OUT', inbound: 'IN', in: 'IN', both: 'BOTH' };

// ------------------------------------------------------------------ views

const doc = <T = unknown>(r: { json: string }): T => JSON.parse(r.json) as T;
const docs = (r: { items: string[] }): unknown[] => r.items.map((i) => JSON.parse(i) as unknown);

function isolationText(h: Host__Output): string {
  const e = h.enforcement;
  if (e?.stateLost) return 'unknown (the agent lost its saved state)';
  return e?.isolated ? 'isolated' : 'off';
}

function blockText(b: PortBlock__Output): string {
  const dir = b.direction === 'OUT' ? 'outbound' : b.direction === 'IN' ? 'inbound' : 'both directions';
  const ports = b.ports.map((r) => (r.from === r.to || r.to === 0 ? String(r.from) : `${r.from}-${r.to}`)).join(',');
  const scope = b.remoteInternet ? ' to/from the internet' : b.remoteCidrs.length ? ` remote ${b.remoteCidrs.join(',')}` : '';
  const until = b.expiresAtMs ? ` until ${new Date(b.expiresAtMs).toISOString()}` : '';
  return `${dir} ${b.protocol.toLowerCase()} ${ports}${scope}${until}`;
}

/** What sending a command to this host means, beyond the change itself. */
function deliveryNote(h: Host__Output): string {
  const where = h.online ? 'sent to its agent at once' : 'queued: the host is offline, so it waits for its agent until the command expires';
  const dry = h.backend === 'DRY_RUN' ? '; this host runs the dry-run backend, which records the rules and enforces nothing' : '';
  return `A signed command is ${where}${dry}.`;
}

// ------------------------------------------------------------------ actions

/** A host action: the IssueCommand request the body asks for (validated), and what it would change on this host. */
interface HostAction {
  request(hostId: string, b: Body, now: number): IssueCommandRequest;
  preview(host: Host__Output, req: IssueCommandRequest): Preview;
}

function hostRoute(action: HostAction): Route['run'] {
  return async (api, [id], b) => {
    const hostId = decodeId(id!);
    if (!dryRun(b)) return api.call<CommandView__Output>('IssueCommand', action.request(hostId, b, api.now()));
    return api.guarded('IssueCommand', async () => {
      const req = action.request(hostId, b, api.now());
      const host = await api.call<Host__Output>('GetHost', { hostId });
      return { preview: action.preview(host, req) };
    });
  };
}

const isolate: HostAction = {
  request(hostId, b) {
    const reason = checkText(text(b, 'reason', true)!, 'reason', 512);
    if (!reason.trim()) throw new ValidationError('reason is empty: say why the host is isolated (it is kept with the command and the audit entry)');
    const allowlist = strings(b, 'allow', 64).map((cidr, i) => checkAllowEntry({ cidr: checkCidr(cidr, `allow[${i}]`), protocol: 'PROTOCOL_UNSPECIFIED', ports: null }, i));
    return { hostId, action: 'ISOLATE', reason, isolate: { allowlist } };
  },
  preview(h, req) {
    const allow = (req.isolate?.allowlist ?? []).map((a) => a.cidr!);
    const changes: Preview['changes'] = [{ target: h.id, what: 'isolation', from: isolationText(h), to: 'isolated' }];
    if (allow.length) changes.push({ target: h.id, what: 'allowlist', from: (h.enforcement?.allowlist ?? []).map((a) => a.cidr).join(', ') || 'none', to: allow.join(', ') });
    const already = h.enforcement?.isolated && !h.enforcement.stateLost;
    return {
      summary: `Isolate ${h.id}${h.inventory?.hostname ? ` (${h.inventory.hostname})` : ''}: every connection in and out is cut except its link to the controller${allow.length ? ` and ${allow.join(', ')}` : ''}.${already ? ' It is isolated already: the command sets the same state again.' : ''} ${deliveryNote(h)}`,
      changes,
    };
  },
};

const release: HostAction = {
  request: (hostId, b) => ({ hostId, action: 'RELEASE', reason: checkText(text(b, 'reason') ?? '', 'reason', 512) }),
  preview(h) {
    const blocks = h.enforcement?.blocks.length ?? 0;
    const notIsolated = h.enforcement && !h.enforcement.isolated && !h.enforcement.stateLost;
    return {
      summary: `Release ${h.id}: its isolation is lifted${blocks ? `; its ${blocks} port block(s) stay` : ''}.${notIsolated ? ' It is not isolated now: nothing changes on the host.' : ''} ${deliveryNote(h)}`,
      changes: [{ target: h.id, what: 'isolation', from: isolationText(h), to: 'off' }],
    };
  },
};

const block: HostAction = {
  request(hostId, b, now) {
    const portText = typeof b.port === 'number' ? String(b.port) : text(b, 'port', true)!;
    const ports = parsePortList(portText);
    const protoName = (text(b, 'protocol') ?? 'tcp').toLowerCase();
    if (protoName !== 'tcp' && protoName !== 'udp') throw new ValidationError(`protocol ${JSON.stringify(protoName)} is not one of tcp, udp`);
    const dirName = (text(b, 'direction') ?? 'outbound').toLowerCase();
    const direction = DIRECTIONS[dirName];
    if (!direction) throw new ValidationError(`direction ${JSON.stringify(dirName)} is not one of outbound, inbound, both`);
    const expires = duration(b, 'expires', false);
    const portBlock = checkPortBlock({
      // the id the CLI derives, so `firebreak unblock <host> tcp-out-25` lifts it too
      id: `${protoName}-${direction.toLowerCase()}-${portText.replace(/\s/g, '').replace(/,/g, '_')}`,
      direction, protocol: protoName === 'tcp' ? 'TCP' : 'UDP', ports, remoteCidrs: [],
      remoteInternet: field<boolean>(b, 'internet', 'boolean', false) === true,
      expiresAtMs: expires ? now + expires : 0,
    });
    return { hostId, action: 'BLOCK', reason: checkText(text(b, 'reason') ?? '', 'reason', 512), block: { force: false, block: portBlock } };
  },
  preview(h, req) {
    const pb = req.block!.block as PortBlock__Output;
    const existing = h.enforcement?.blocks.find((x) => x.id === pb.id);
    return {
      summary: `Block ${blockText(pb)} on ${h.id} (block id ${pb.id})${existing ? `, replacing the block of that id (${blockText(existing)})` : ''}. ${deliveryNote(h)}`,
      changes: [{ target: h.id, what: `block ${pb.id}`, from: existing ? blockText(existing) : 'none', to: blockText(pb) }],
    };
  },
};

interface AlertDoc { id: string; status: string; rootCause: string; hostCount: number; severity: string; acknowledgedBy?: string | null }

function ackRoute(): Route['run'] {
  return async (api, [id], b) => {
    const alertId = decodeId(id!);
    if (!dryRun(b)) return doc(await api.call<{ json: string }>('AckAlert', { alertId }));
    return api.guarded('AckAlert', async (op) => {
      const a = doc<AlertDoc>(await api.call<{ json: string }>('GetAlert', { alertId }));
      return {
        preview: {
          summary: `Acknowledge alert ${a.id} (${a.severity}, ${a.rootCause} on ${a.hostCount} host(s)) as ${op.name}: it stays open and keeps collecting hosts, without alerting again.`,
          changes: [{ target: a.id, what: 'status', from: a.status, to: 'acknowledged' }],
        } satisfies Preview,
      };
    });
  };
}

function silenceRoute(): Route['run'] {
  return async (api, _p, b) => {
    const matchers = strings(b, 'matchers', 16);
    if (matchers.length === 0) throw new ValidationError('matchers is empty: give at least one, e.g. ["signature=disk.io", "tag:role=backup"]');
    const forMs = duration(b, 'duration', true)!;
    const startsIn = duration(b, 'startsIn', false) ?? 0;
    const comment = checkText(text(b, 'comment') ?? '', 'comment', 512);
    const maintenance = field<boolean>(b, 'maintenance', 'boolean', false) === true;
    const start = api.now() + startsIn;
    const req = { matchers, startsAtMs: startsIn ? start : 0, endsAtMs: start + forMs, comment, kind: maintenance ? 'maintenance' : 'silence' };
    if (!dryRun(b)) return doc(await api.call<{ json: string }>('AddSilence', req));
    return api.guarded('AddSilence', async () => {
      for (const m of matchers) {
        try { parseMatcher(m); } catch (err) { throw new ValidationError((err as Error).message); }
      }
      const window = `from ${new Date(start).toISOString()} until ${new Date(start + forMs).toISOString()}`;
      return {
        preview: {
          summary: `Add a ${maintenance ? 'maintenance window' : 'silence'} ${window}: events matching ${matchers.join(' AND ')} are stored but open or escalate no alert.${comment ? ` Comment: ${comment}` : ''}`,
          changes: [{ target: 'silence', what: `${maintenance ? 'maintenance window' : 'silence'} ${matchers.join(' ')}`, from: 'none', to: window }],
        } satisfies Preview,
      };
    });
  };
}

interface RunDoc { id: string; playbook: string; status: string; actions: { seq: number; kind: string; hostId?: string | null; status: string; reason: string }[] }

function approveRoute(): Route['run'] {
  return async (api, [id], b) => {
    const runId = decodeId(id!);
    if (!dryRun(b)) return doc(await api.call<{ json: string }>('ApproveRun', { runId }));
    return api.guarded('ApproveRun', async () => {
      const r = doc<RunDoc>(await api.call<{ json: string }>('GetRun', { runId }));
      const held = r.actions.filter((a) => a.status === 'held');
      // the engine refuses the same way (controller/playbooks/engine.ts approve)
      if (held.length === 0) throw new ValidationError(`run ${r.id} holds nothing to approve (${r.status === 'finished' ? 'it finished' : 'no guard held an action'})`);
      return {
        preview: {
          summary: `Approve run ${r.id} of playbook ${r.playbook}: its ${held.length} held action(s) are executed now${held.some((a) => a.kind === 'isolate') ? ` (isolating ${held.filter((a) => a.kind === 'isolate').map((a) => a.hostId).join(', ')})` : ''}, and its later isolations skip the blast-radius guard.`,
          changes: held.map((a) => ({ target: a.hostId ?? r.id, what: `${a.kind} (action ${a.seq})`, from: `held: ${a.reason}`, to: a.kind === 'isolate' ? 'isolated' : 'executed' })),
        } satisfies Preview,
      };
    });
  };
}

/** A path segment as an id: percent-decoded, bounded; the RPC's own validator judges it further. */
function decodeId(segment: string): string {
  let id: string;
  try { id = decodeURIComponent(segment); } catch { throw new ValidationError(`'${segment}' is not a valid path segment`); }
  if (id.length === 0 || id.length > 128) throw new ValidationError('the id in the path is empty or longer than 128 characters');
  return id;
}

// ------------------------------------------------------------------ reads

/** Hosts carrying every `tag` asked for (key=value, or key alone), with the fleet selectors' meaning of `tag:` (host-selector.ts). */
function withTags(hosts: Host__Output[], query: URLSearchParams): Host__Output[] {
  const wanted = query.getAll('tag').slice(0, 16);
  if (wanted.length === 0) return hosts;
  const ctx = { hosts, alertHosts: () => undefined };
  let keep = new Set(hosts.map((h) => h.id));
  for (const t of wanted) {
    const picked = new Set(resolveSelector(parseSelector(`tag:${t}`), ctx));
    keep = new Set([...keep].filter((id) => picked.has(id)));
  }
  return hosts.filter((h) => keep.has(h.id));
}

const limitOf = (query: URLSearchParams, dflt: number, max: number): number => {
  const n = Number(query.get('limit') ?? dflt);
  if (!Number.isInteger(n) || n < 1) throw new ValidationError(`limit ${JSON.stringify(query.get('limit'))} is not a whole number of at least 1`);
  return Math.min(n, max);
};

export const ROUTES: Route[] = [
  {
    method: 'GET', pattern: /^\/api\/hosts$/, run: async (api, _p, _b, q) => {
      const res = await api.call<{ hosts: Host__Output[]; storage: unknown }>('ListHosts', {});
      const hosts = withTags(res.hosts, q);
      const last = await api.lastAnomalies.of(hosts, async (hostId, limit) =>
        (await api.call<{ events: EventView__Output[] }>('ListEvents', { hostId, limit })).events);
      return { hosts: hosts.map((h) => ({ ...h, lastAnomaly: last.get(h.id) ?? null })), storage: res.storage };
    },
  },
  {
    method: 'GET', pattern: /^\/api\/hosts\/([^/]+)$/, run: async (api, [id]) => {
      const hostId = checkAgentId(decodeId(id!), 'host id');
      const [host, events, commands] = await Promise.all([
        api.call<Host__Output>('GetHost', { hostId }),
        api.call<{ events: EventView__Output[] }>('ListEvents', { hostId, limit: 100 }),
        api.call<{ commands: unknown[] }>('ListCommands', { hostId, limit: 50 }),
      ]);
      const e = events.events[0];
      const lastAnomaly: LastAnomaly | null = e?.event ? { signature: e.event.signature, atMs: e.receivedAtMs } : null;
      return { host: { ...host, lastAnomaly }, events: events.events, commands: commands.commands };
    },
  },
  { method: 'POST', pattern: /^\/api\/hosts\/([^/]+)\/isolate$/, run: hostRoute(isolate) },
  { method: 'POST', pattern: /^\/api\/hosts\/([^/]+)\/release$/, run: hostRoute(release) },
  { method: 'POST', pattern: /^\/api\/hosts\/([^/]+)\/block$/, run: hostRoute(block) },
  {
    method: 'GET', pattern: /^\/api\/alerts$/, run: async (api, _p, _b, q) => ({
      alerts: docs(await api.call<{ items: string[] }>('ListAlerts', { status: q.get('status') ?? '', scope: q.get('scope') ?? '', limit: limitOf(q, 200, 10_000) })),
    }),
  },
  { method: 'GET', pattern: /^\/api\/alerts\/([^/]+)$/, run: async (api, [id]) => doc(await api.call<{ json: string }>('GetAlert', { alertId: decodeId(id!) })) },
  { method: 'POST', pattern: /^\/api\/alerts\/([^/]+)\/ack$/, run: ackRoute() },
  { method: 'GET', pattern: /^\/api\/runs$/, run: async (api, _p, _b, q) => ({ runs: docs(await api.call<{ items: string[] }>('ListRuns', { limit: limitOf(q, 100, 10_000) })) }) },
  { method: 'GET', pattern: /^\/api\/runs\/([^/]+)$/, run: async (api, [id]) => doc(await api.call<{ json: string }>('GetRun', { runId: decodeId(id!) })) },
  { method: 'POST', pattern: /^\/api\/runs\/([^/]+)\/approve$/, run: approveRoute() },
  {
    method: 'GET', pattern: /^\/api\/audit$/, run: async (api, _p, _b, q) => {
      const since = Number(q.get('since') ?? 0);
      return { entries: (await api.call<{ entries: unknown[] }>('ListAudit', { limit: limitOf(q, 100, 10_000), sinceMs: Number.isFinite(since) ? since : 0 })).entries };
    },
  },
  { method: 'GET', pattern: /^\/api\/silences$/, run: async (api) => ({ silences: docs(await api.call<{ items: string[] }>('ListSilences', {})) }) },
  { method: 'POST', pattern: /^\/api\/silences$/, run: silenceRoute() },
];

/** The route for a method and path, its captured params, or why none matched. */
export function findRoute(method: string, path: string): { route: Route; params: Params } | { status: 404 | 405 } {
  let pathMatched = false;
  for (const route of ROUTES) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (route.method === method) return { route, params: m.slice(1) };
  }
  return { status: pathMatched ? 405 : 404 };
}

/** An error from a route as an HTTP status and message. */
export function httpErrorOf(err: unknown): { status: number; message: string; headers?: Record<string, string> } {
  if (err instanceof HttpError) return { status: err.status, message: err.message, headers: err.headers };
  if (err instanceof OperatorCallError) return { status: httpStatusOf(err.code), message: err.details };
  if (err instanceof ValidationError) return { status: 400, message: err.message };
  return { status: 500, message: `dashboard error: ${(err as Error).message}` };
}

// Validation of everything that crosses the wire, shared by controller and
// agent: each refuses bad input with a message that names the field and the rule.
import { Action, Direction, Protocol } from './types.ts';
import type { AllowEntry__Output, PortBlock__Output, PortRange__Output, ThrottleParams__Output } from './types.ts';
import { parseCidr } from './cidr.ts';

export class ValidationError extends Error {
  override name = 'ValidationError';
}

/** Agent and host ids reach file paths and queries: keep them boring. */
export const AGENT_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export function checkAgentId(id: unknown, field = 'agent_id'): string {
  if (typeof id !== 'string' || id.length === 0) throw new ValidationError(`${field} is missing`);
  if (id.length > 63) throw new ValidationError(`${field} is ${id.length} characters long; at most 63 are allowed`);
  if (!AGENT_ID_PATTERN.test(id)) {
    throw new ValidationError(
      `${field} ${JSON.stringify(id)} is malformed: use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit`,
    );
  }
  return id;
}

/** Free text from a peer (reasons, host names): bounded, no control characters. */
export function checkText(value: string, field: string, max = 256): string {
  if (value.length > max) throw new ValidationError(`${field} is ${value.length} characters long; at most ${max} are allowed`);
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new ValidationError(`${field} contains control characters`);
  return value;
}

export function checkPort(port: unknown, field = 'port'): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ValidationError(`${field} ${String(port)} is out of range: ports are 1-65535`);
  }
  return port;
}

export function checkPortRange(r: PortRange__Output | null | undefined, field = 'ports'): PortRange__Output {
  if (!r) throw new ValidationError(`${field} is missing`);
  const from = checkPort(r.from, `${field}.from`);
  const to = r.to === 0 ? from : checkPort(r.to, `${field}.to`);
  if (to < from) throw new ValidationError(`${field} ${from}-${to} is backwards: the first port must not exceed the last`);
  return { from, to };
}

/** Parses "25", "8000-8080" or "25,587,465" into ranges. */
export function parsePortList(text: string): PortRange__Output[] {
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) throw new ValidationError(`no ports in '${text}': give e.g. 25, 8000-8080 or 25,587`);
  return parts.map((part) => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new ValidationError(`bad port '${part}': give a number 1-65535 or a range like 8000-8080`);
    const from = checkPort(Number(m[1]));
    const to = m[2] === undefined ? from : checkPort(Number(m[2]));
    return checkPortRange({ from, to }, `ports ${part}`);
  });
}

function enumName<T extends Record<string, string>>(e: T, value: unknown, field: string, allowed: string[]): string {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new ValidationError(`${field} ${JSON.stringify(value)} is not one of ${allowed.map((a) => a.toLowerCase()).join(', ')}`);
  }
  return e[value as keyof T] as string;
}

export function checkProtocol(value: unknown, field = 'protocol'): 'TCP' | 'UDP' {
  return enumName(Protocol, value, field, ['TCP', 'UDP']) as 'TCP' | 'UDP';
}

export function checkDirection(value: unknown, field = 'direction'): 'IN' | 'OUT' | 'BOTH' {
  return enumName(Direction, value, field, ['IN', 'OUT', 'BOTH']) as 'IN' | 'OUT' | 'BOTH';
}

export function checkCidr(value: string, field = 'cidr'): string {
  try {
    return parseCidr(value).text;
  } catch (err) {
    throw new ValidationError(`${field}: ${(err as Error).message}`);
  }
}

export const BLOCK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkPortBlock(b: PortBlock__Output | null | undefined): PortBlock__Output {
  if (!b) throw new ValidationError('block is missing');
  if (!BLOCK_ID_PATTERN.test(b.id)) throw new ValidationError(`block id ${JSON.stringify(b.id)} is malformed: letters, digits, '.', '_' and '-', at most 64`);
  if (b.ports.length === 0) throw new ValidationError('block names no ports');
  if (b.ports.length > 64) throw new ValidationError(`block names ${b.ports.length} port ranges; at most 64 are allowed`);
  if (b.remoteCidrs.length > 256) throw new ValidationError(`block names ${b.remoteCidrs.length} CIDRs; at most 256 are allowed`);
  return {
    id: b.id,
    direction: checkDirection(b.direction),
    protocol: checkProtocol(b.protocol),
    ports: b.ports.map((r, i) => checkPortRange(r, `ports[${i}]`)),
    remoteCidrs: b.remoteCidrs.map((c, i) => checkCidr(c, `remote_cidrs[${i}]`)),
    remoteInternet: b.remoteInternet,
    expiresAtMs: b.expiresAtMs,
  };
}

export function checkAllowEntry(e: AllowEntry__Output, i: number): AllowEntry__Output {
  return {
    cidr: checkCidr(e.cidr, `allowlist[${i}].cidr`),
    protocol: e.protocol === 'PROTOCOL_UNSPECIFIED' ? e.protocol : checkProtocol(e.protocol, `allowlist[${i}].protocol`),
    ports: e.ports ? checkPortRange(e.ports, `allowlist[${i}].ports`) : null,
  };
}

export type ActionName = 'ISOLATE' | 'RELEASE' | 'BLOCK' | 'UNBLOCK' | 'THROTTLE' | 'UNTHROTTLE';

export function checkAction(value: unknown): ActionName {
  return enumName(Action, value, 'action', ['ISOLATE', 'RELEASE', 'BLOCK', 'UNBLOCK', 'THROTTLE', 'UNTHROTTLE']) as ActionName;
}

/** The throttle's defaults, applied where a field is 0 (proto3's "unset"). */
export const THROTTLE_DEFAULTS = { newPerSecond: 1, burst: 5, workingSetS: 60 } as const;
/** Bounds: beyond them the throttle is either no throttle at all or a cut-off. */
export const THROTTLE_LIMITS = {
  newPerSecond: { min: 1, max: 1000, field: 'new_per_second', unit: 'new destinations per second' },
  burst: { min: 1, max: 10_000, field: 'burst', unit: 'connections' },
  workingSetS: { min: 1, max: 86_400, field: 'working_set_s', unit: 'seconds' },
} as const;

/**
 * ThrottleParams with the defaults filled in (0 = default), each field in its
 * bounds; refuses with the field, the value and the range.
 */
export function checkThrottleParams(p: ThrottleParams__Output | null | undefined, field = 'throttle'): ThrottleParams__Output {
  if (!p) throw new ValidationError(`${field} is missing: give new_per_second, burst and working_set_s (0 = default)`);
  const out: Record<keyof typeof THROTTLE_DEFAULTS, number> = { ...THROTTLE_DEFAULTS };
  for (const key of ['newPerSecond', 'burst', 'workingSetS'] as const) {
    const lim = THROTTLE_LIMITS[key];
    const v = p[key] ?? 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw new ValidationError(`${field}.${lim.field} ${String(v)} is not a whole number: give ${lim.min}-${lim.max} ${lim.unit} (0 = default ${THROTTLE_DEFAULTS[key]})`);
    }
    if (v === 0) continue;
    if (v < lim.min || v > lim.max) {
      throw new ValidationError(`${field}.${lim.field} ${v} is out of range: give ${lim.min}-${lim.max} ${lim.unit} (0 = default ${THROTTLE_DEFAULTS[key]})`);
    }
    out[key] = v;
  }
  const exp = Number(p.expiresAtMs ?? 0);
  if (!Number.isSafeInteger(exp) || exp < 0) {
    throw new ValidationError(`${field}.expires_at_ms ${String(p.expiresAtMs)} is not a time: give milliseconds since the epoch, or 0 for never`);
  }
  return { newPerSecond: out.newPerSecond, burst: out.burst, workingSetS: out.workingSetS, expiresAtMs: exp };
}

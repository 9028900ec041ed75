// Byte budgets per agent: what one enrolled agent may send (bytes per second,
// a token bucket on the frames' wire size) and store (bytes of event rows per
// UTC day). The frame-rate limit counts frames, not bytes: at the largest
// reports the limits allow, one agent put 377 MB into events in 8 s.
//
// Over the rate, the agent's stream is closed with RESOURCE_EXHAUSTED (it
// reconnects with backoff). Over the day's budget, the first report that would
// overrun it is refused with RESOURCE_EXHAUSTED and the reason; after that, the
// day's reports are still acked and their samples kept, but their events are not
// stored: the host stays online and commandable (a noisy host may be the infected
// one). Budgets are kept per agent id, across reconnects, so a refusal is one
// episode, not one per stream; the other agents are never touched.
import type * as grpc from '@grpc/grpc-js';
import type { AnomalyEvent__Output } from '../proto/wire.ts';
import { LIMITS } from './pipeline/ingest.ts';

export interface ByteBudgetLimits {
  /** sustained bytes per second one agent may send */
  bytesPerSecond: number;
  /** bytes one agent may send at once above the rate (at least one maximum-size frame) */
  burstBytes: number;
  /** bytes of event rows one agent may add per UTC day */
  storedBytesPerDay: number;
}

/**
 * A real agent sends a heartbeat every 5 s and a report per sample (a few KB, more
 * with events): far below these. The burst lets a reconnecting agent resend its spool.
 */
export const DEFAULT_BYTE_BUDGET: ByteBudgetLimits = {
  bytesPerSecond: 256 * 1024,
  burstBytes: 8 * 1024 * 1024,
  storedBytesPerDay: 64 * 1024 * 1024,
};

/** An episode of a rate overrun ends after this long without another. */
const EPISODE_QUIET_MS = 60_000;
const DAY_MS = 86_400_000;
/** What an event row costs beyond its signature and evidence (ids, numbers, index entries). */
export const EVENT_ROW_OVERHEAD = 128;

const WIRE_BYTES = Symbol('firebreak.wireBytes');

/** The service with each request message tagged with its size on the wire (what the budget counts). */
export function withWireSizes<T extends grpc.ServiceDefinition>(def: T): T {
  const out: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(def)) {
    out[name] = {
      ...m,
      requestDeserialize: (buf: Buffer) => {
        const msg = m.requestDeserialize(buf) as object;
        if (msg && typeof msg === 'object') Object.defineProperty(msg, WIRE_BYTES, { value: buf.length });
        return msg;
      },
    };
  }
  return out as T;
}

/** A request's size on the wire, when it came through withWireSizes. */
export function wireBytes(msg: unknown): number | undefined {
  return msg && typeof msg === 'object' ? (msg as { [WIRE_BYTES]?: number })[WIRE_BYTES] : undefined;
}

/** The bytes the events of a report would add to the store (over, not under: evidence is cut before it is stored). */
export function storedBytes(events: readonly AnomalyEvent__Output[]): number {
  let n = 0;
  for (const e of events.slice(0, LIMITS.eventsPerReport)) {
    n += EVENT_ROW_OVERHEAD + Buffer.byteLength(e.signature) + Buffer.byteLength(JSON.stringify(e.evidence ?? {}));
  }
  return n;
}

export type BudgetVerdict =
  | { ok: true }
  /** refuse: close the stream with RESOURCE_EXHAUSTED and this reason; first: a new episode (audit it) */
  | { ok: false; drop: false; kind: 'rate' | 'day'; first: boolean; reason: string }
  /** keep the stream, store the report without its events */
  | { ok: false; drop: true; kind: 'day'; first: false; reason: string };

interface AgentBudget {
  tokens: number;
  tokensAt: number;
  rateEpisodeUntil: number;
  day: number;
  storedToday: number;
  dayRefused: boolean;
  droppedBytesToday: number;
}

const mib = (n: number) => `${(n / 1048576).toFixed(n < 1048576 ? 2 : 1)} MiB`;

export class ByteBudgets {
  private readonly agents = new Map<string, AgentBudget>();
  readonly limits: ByteBudgetLimits;

  constructor(limits: Partial<ByteBudgetLimits>, private readonly now: () => number) {
    this.limits = { ...DEFAULT_BYTE_BUDGET, ...limits };
  }

  private get(hostId: string, t: number): AgentBudget {
    let b = this.agents.get(hostId);
    if (!b) {
      b = { tokens: this.limits.burstBytes, tokensAt: t, rateEpisodeUntil: 0, day: Math.floor(t / DAY_MS), storedToday: 0, dayRefused: false, droppedBytesToday: 0 };
      this.agents.set(hostId, b);
    }
    return b;
  }

  /** A frame of `bytes` arrived from this agent. */
  receive(hostId: string, bytes: number): BudgetVerdict {
    const t = this.now();
    const b = this.get(hostId, t);
    const { bytesPerSecond: rate, burstBytes: burst } = this.limits;
    b.tokens = Math.min(burst, b.tokens + ((t - b.tokensAt) / 1000) * rate);
    b.tokensAt = t;
    if (b.tokens >= bytes) {
      b.tokens -= bytes;
      return { ok: true };
    }
    // refused bytes count too (down to one burst of debt): a flooder that reconnects at once is refused at once
    b.tokens = Math.max(-burst, b.tokens - bytes);
    const first = t >= b.rateEpisodeUntil;
    b.rateEpisodeUntil = t + EPISODE_QUIET_MS;
    return {
      ok: false, drop: false, kind: 'rate', first,
      reason: `agent ${hostId} sends more than its byte budget of ${mib(rate)}/s (burst ${mib(burst)}): a ${bytes}-byte frame was refused; reconnect with backoff and send smaller reports (controller flag --agent-bytes-per-second)`,
    };
  }

  /** A report whose events would store `bytes` arrived from this agent. */
  store(hostId: string, bytes: number): BudgetVerdict {
    if (bytes === 0) return { ok: true };
    const t = this.now();
    const b = this.get(hostId, t);
    const day = Math.floor(t / DAY_MS);
    if (day !== b.day) {
      b.day = day;
      b.storedToday = 0;
      b.dayRefused = false;
      b.droppedBytesToday = 0;
    }
    const limit = this.limits.storedBytesPerDay;
    if (b.storedToday + bytes <= limit) {
      b.storedToday += bytes;
      return { ok: true };
    }
    b.droppedBytesToday += bytes;
    const reason = `agent ${hostId} has stored ${mib(b.storedToday)} of events today (UTC) and its budget is ${mib(limit)} per day: `
      + `the events of this report (${bytes} bytes) and its further events today are not stored; the host stays online for commands `
      + `(controller flag --agent-stored-bytes-per-day)`;
    if (!b.dayRefused) {
      b.dayRefused = true;
      return { ok: false, drop: false, kind: 'day', first: true, reason };
    }
    return { ok: false, drop: true, kind: 'day', first: false, reason };
  }

  /** What an agent used today, for tests and the operator. */
  usage(hostId: string): { storedToday: number; droppedBytesToday: number } | undefined {
    const b = this.agents.get(hostId);
    return b && { storedToday: b.storedToday, droppedBytesToday: b.droppedBytesToday };
  }
}

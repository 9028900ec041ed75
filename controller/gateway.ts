// Gateway: one long-lived bidirectional stream per agent. The first frame must
// be a Hello; after it the stream carries reports, heartbeats and command
// results up, and commands and acks down. A bad agent is refused with a
// precise status on its own stream; no other agent's stream is touched.
import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type {
  AgentFrame__Output,
  AgentLinkHandlers,
  Command__Output,
  ControllerFrame,
  Heartbeat__Output,
  Hello__Output,
} from '../proto/wire.ts';
import { checkAgentId, checkText, ValidationError } from '../proto/validate.ts';
import { ByteBudgets, storedBytes, wireBytes, type BudgetVerdict, type ByteBudgetLimits } from './byte-budget.ts';
import { ClockOffset } from './clock-offset.ts';
import type { Commands } from './commands.ts';
import type { Ingest } from './pipeline/ingest.ts';
import { isStorageOutage } from './store/storage-error.ts';
import type { Store } from './store/store.ts';

type Call = grpc.ServerDuplexStream<AgentFrame__Output, ControllerFrame>;

/** Reports of one stream waiting for their commit; past it the next report waits until they are stored. */
const MAX_REPORTS_IN_FLIGHT = 64;

export interface GatewayOptions {
  store: Store;
  ingest: Ingest;
  commands: Commands;
  log: Logger;
  now: () => number;
  heartbeatIntervalMs: number;
  /** how long an agent may take to say Hello before its stream is closed */
  helloTimeoutMs?: number;
  /** frames queued behind a slow agent before its stream is cut */
  maxQueuedFrames?: number;
  /**
   * Proves who is on the stream from the transport (the mTLS client
   * certificate), before any frame is read. Returns the agent id, or throws a
   * StatusError. A Hello that claims another id is refused.
   */
  authenticate?: (call: Call) => Promise<string>;
  /** frames one agent may send per second after Hello, with a burst of 5 s worth */
  maxFramesPerSecond?: number;
  /**
   * told when an agent comes online (with its tags and addresses: its inventory's and the
   * one its stream comes from) or goes offline
   */
  onPresence?: (hostId: string, tags: Record<string, string>, online: boolean, addresses: readonly string[]) => void;
  /** a host's enforcement state, as its agent reports it, changed (the dashboard's live updates); must be cheap */
  onEnforcement?: (hostId: string) => void;
  /** per-agent bytes per second and stored bytes per day (defaults in byte-budget.ts) */
  byteBudget?: Partial<ByteBudgetLimits>;
  /** told once per episode of an agent over its byte budget (for the audit log) */
  onOverBudget?: (info: { hostId: string; peer: string; kind: 'rate' | 'day'; reason: string }) => void;
  /**
   * The host's granted tags (enrollment token, operators): the session's tags. The
   * Hello's tags are the agent's own claims, stored as its inventory and never used
   * as tags. Without this, a session has no tags.
   */
  grantedTags?: (hostId: string) => Promise<Record<string, string>>;
  /** told of every refused agent stream (for the audit log) */
  onRefused?: (info: { peer: string; agentId?: string; code: string; reason: string }) => void;
}

export class StatusError extends Error {
  /** agentId: whom the client certificate named, when it did (so a refusal is filed under it) */
  constructor(readonly code: grpc.status, message: string, readonly agentId?: string) {
    super(message);
  }
}

/** An agent over its byte budget: audited once per episode by onOverBudget, not once per refused stream. */
class BudgetError extends StatusError {}

/** One connected agent. Writes honour backpressure: they wait for drain. */
export class Session {
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  closed = false;
  lastHeartbeatMs: number;
  /** the host's granted tags (never the Hello's), for correlation and playbooks */
  tags: Record<string, string> = {};
  /** the host's clock offset (agent minus controller), for correlation: from its Hello, heartbeats and samples */
  readonly clock = new ClockOffset();
  /** the last enforcement state stored for this stream, as a short key */
  enforcementKey = '';
  private tokens: number;
  private tokensAt: number;

  get clockOffsetMs(): number {
    return this.clock.value;
  }

  constructor(
    readonly hostId: string,
    readonly bootId: string,
    private readonly call: Call,
    private readonly maxQueued: number,
    nowMs: number,
    private readonly ratePerSecond: number,
  ) {
    this.lastHeartbeatMs = nowMs;
    this.tokens = ratePerSecond * 5;
    this.tokensAt = nowMs;
  }

  /** Token bucket: false when this agent sends reports faster than it may. */
  takeFrameToken(nowMs: number): boolean {
    this.tokens = Math.min(this.ratePerSecond * 5, this.tokens + ((nowMs - this.tokensAt) / 1000) * this.ratePerSecond);
    this.tokensAt = nowMs;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  send(frame: ControllerFrame): Promise<void> {
    if (this.closed) return Promise.reject(new Error('stream closed'));
    if (this.pending >= this.maxQueued) {
      this.fail(grpc.status.RESOURCE_EXHAUSTED, `agent is not reading: ${this.pending} frames queued`);
      return Promise.reject(new Error('agent not reading'));
    }
    this.pending++;
    const next = this.queue.then(async () => {
      if (this.closed) throw new Error('stream closed');
      if (!this.call.write(frame)) await Promise.race([once(this.call, 'drain'), once(this.call, 'close')]);
    }).finally(() => { this.pending--; });
    this.queue = next.catch(() => {});
    return next;
  }

  fail(code: grpc.status, details: string): void {
    if (this.closed) return;
    this.closed = true;
    failCall(this.call, code, details);
  }
}

/** The address in a grpc-js peer string ("ipv4:10.0.0.5:51234", "ipv6:[fd00::5]:51234"), if any. */
function peerAddress(peer: string): string[] {
  const m = /^ipv4:([\d.]+):\d+$/.exec(peer) ?? /^ipv6:\[([0-9a-fA-F:.]+)\]:\d+$/.exec(peer);
  return m ? [m[1]!] : [];
}

function failCall(call: Call, code: grpc.status, details: string): void {
  // grpc-js turns an 'error' emitted on a server stream into the call's final status
  call.emit('error', { code, details, metadata: new grpc.Metadata() });
}

export class Gateway {
  private readonly sessions = new Map<string, Session>();

  readonly budgets: ByteBudgets;

  constructor(private readonly opts: GatewayOptions) {
    this.budgets = new ByteBudgets(opts.byteBudget ?? {}, opts.now);
    opts.commands.setDeliver((hostId, cmd) => this.deliver(hostId, cmd));
  }

  get online(): ReadonlyMap<string, Session> {
    return this.sessions;
  }

  handlers(): AgentLinkHandlers {
    return { Connect: (call) => this.connect(call) };
  }

  private async deliver(hostId: string, cmd: Command__Output): Promise<boolean> {
    const s = this.sessions.get(hostId);
    if (!s || s.closed) return false;
    try {
      await s.send({ command: cmd });
      return true;
    } catch {
      return false;
    }
  }

  private connect(call: Call): void {
    const { log, now } = this.opts;
    const peer = call.getPeer();
    let session: Session | undefined;
    // frames are handled one at a time, in order, so acks and dedup stay in sequence
    let chain: Promise<void> = Promise.resolve();
    let ended = false;
    // Reports do not hold the chain while their batch commits: the next frame is read at once, so a
    // stream's reports in flight are stored in one transaction (the store keeps their order) and
    // acked in order, each only once stored. At most MAX_REPORTS_IN_FLIGHT wait per stream.
    let lastReport: Promise<void> = Promise.resolve();
    let reportsInFlight = 0;
    // the transport's proof of identity is checked before any frame is read
    const proven: Promise<string | undefined> = this.opts.authenticate ? this.opts.authenticate(call) : Promise.resolve(undefined);
    // the certificate's agent id, once proven: a refusal before Hello is filed under it, not 'unknown'
    let certId: string | undefined;
    proven.then((id) => { certId = id; }, (err) => refuse(err));

    const helloTimer = setTimeout(() => {
      if (!session && !ended) {
        log.warn({ peer }, 'agent sent no Hello in time; stream closed');
        failCall(call, grpc.status.DEADLINE_EXCEEDED, `no Hello within ${this.opts.helloTimeoutMs ?? 10000} ms`);
      }
    }, this.opts.helloTimeoutMs ?? 10000);
    helloTimer.unref();

    const refuse = (err: unknown) => {
      // a full or damaged store: retriable for the agent (its spool keeps the reports); the store logged it once
      const outage = isStorageOutage(err);
      const status = err instanceof StatusError ? err : err instanceof ValidationError
        ? new StatusError(grpc.status.INVALID_ARGUMENT, err.message)
        : outage
          ? new StatusError(grpc.status.UNAVAILABLE, `controller storage is ${err.kind === 'full' ? 'full' : 'failing'}: nothing was stored; keep the reports and retry later`)
          : new StatusError(grpc.status.INTERNAL, `controller error: ${(err as Error).message}`);
      if (ended) return;
      if (outage) log.debug({ peer, host: session?.hostId }, `agent stream refused: ${status.message}`);
      else log.warn({ peer, host: session?.hostId, code: grpc.status[status.code] }, `agent stream refused: ${status.message}`);
      // auditing the refusal would be one more write the store refuses
      if (!(status instanceof BudgetError) && !outage) this.opts.onRefused?.({ peer, agentId: session?.hostId ?? certId ?? status.agentId, code: grpc.status[status.code], reason: status.message });
      ended = true;
      if (session) session.fail(status.code, status.message);
      else failCall(call, status.code, status.message);
    };

    const handle = async (frame: AgentFrame__Output) => {
      if (ended) return;
      if (!session) {
        if (frame.body !== 'hello' || !frame.hello) {
          throw new StatusError(grpc.status.FAILED_PRECONDITION, `first frame must be Hello, got ${frame.body ?? 'an empty frame'}`);
        }
        session = await this.hello(call, frame.hello, await proven);
        clearTimeout(helloTimer);
        return;
      }
      const s = session;
      if (!s.takeFrameToken(now())) {
        throw new StatusError(grpc.status.RESOURCE_EXHAUSTED,
          `agent ${s.hostId} sends frames faster than ${this.opts.maxFramesPerSecond ?? 50}/s; reconnect with backoff`);
      }
      const overRate = this.budgets.receive(s.hostId, wireBytes(frame) ?? 0);
      if (!overRate.ok) throw this.overBudget(s.hostId, peer, overRate);
      switch (frame.body) {
        case 'report': {
          let r = frame.report!;
          const overDay = this.budgets.store(s.hostId, storedBytes(r.events));
          if (!overDay.ok) {
            if (!overDay.drop) throw this.overBudget(s.hostId, peer, overDay);
            r = { ...r, events: [] };
          }
          // a sample's time is another stamp from the agent's clock: more samples, a tighter offset
          const t = now();
          if (r.sample) s.clock.add(Number(r.sample.observedAtMs), t);
          if (reportsInFlight >= MAX_REPORTS_IN_FLIGHT) {
            await lastReport;
            if (ended) return;
          }
          reportsInFlight++;
          // ingest.report queues the report in the store before it returns; stores resolve in queue order
          const stored = this.opts.ingest.report(s.hostId, s.bootId, r, t);
          // a report the store refused ends the stream at once, not after the acks before it went out: a
          // later report stored after a refused one would make the refused one a duplicate when resent
          stored.catch(refuse);
          const seq = r.seq;
          lastReport = lastReport.then(() => stored).then(() => s.send({ ack: { bootId: s.bootId, seq } }))
            .catch(refuse).finally(() => { reportsInFlight--; });
          break;
        }
        case 'heartbeat':
          await this.heartbeat(s, frame.heartbeat!);
          break;
        case 'commandResult':
          await this.opts.commands.result(s.hostId, frame.commandResult!);
          break;
        case 'hello':
          throw new StatusError(grpc.status.FAILED_PRECONDITION, 'Hello sent twice on one stream');
        default:
          throw new StatusError(grpc.status.INVALID_ARGUMENT, 'empty frame');
      }
    };

    call.on('data', (frame: AgentFrame__Output) => {
      chain = chain.then(() => handle(frame)).catch(refuse);
    });
    const gone = (why: string) => {
      if (ended && !session) return;
      ended = true;
      clearTimeout(helloTimer);
      const s = session;
      if (!s) return;
      s.closed = true;
      chain.then(() => lastReport).finally(async () => {
        if (this.sessions.get(s.hostId) === s) {
          this.sessions.delete(s.hostId);
          await this.opts.store.setOnline(s.hostId, false, now());
          this.opts.onPresence?.(s.hostId, s.tags, false, []);
          log.info({ host: s.hostId, why }, 'agent offline');
        }
      }).catch((err) => isStorageOutage(err) || log.error({ err }, 'marking agent offline failed'));
    };
    call.on('end', () => { gone('stream ended'); call.end(); });
    call.on('cancelled', () => gone('stream cancelled'));
    call.on('error', (err) => gone(`stream error: ${err.message}`));
    call.on('close', () => gone('stream closed'));
  }

  private overBudget(hostId: string, peer: string, v: Extract<BudgetVerdict, { ok: false }>): BudgetError {
    if (v.first) this.opts.onOverBudget?.({ hostId, peer, kind: v.kind, reason: v.reason });
    return new BudgetError(grpc.status.RESOURCE_EXHAUSTED, v.reason);
  }

  private async hello(call: Call, h: Hello__Output, proven: string | undefined): Promise<Session> {
    const { store, log, now } = this.opts;
    const hostId = checkAgentId(h.agentId, 'hello.agent_id');
    if (this.opts.authenticate && proven !== hostId) {
      throw new StatusError(grpc.status.PERMISSION_DENIED,
        `hello.agent_id '${hostId}' does not match the agent id '${proven ?? '(none)'}' in the client certificate`);
    }
    if (!/^[A-Za-z0-9-]{8,64}$/.test(h.bootId)) {
      throw new ValidationError('hello.boot_id is missing or malformed: 8-64 letters, digits or dashes');
    }
    const inv = h.inventory;
    if (!inv) throw new ValidationError('hello.inventory is missing');
    checkText(inv.hostname, 'hello.inventory.hostname', 253);
    for (const f of ['os', 'kernel', 'cpuModel', 'agentVersion', 'arch'] as const) checkText(inv[f], `hello.inventory.${f}`, 256);
    for (const ip of inv.ipAddresses) checkText(ip, 'hello.inventory.ip_addresses', 64);
    for (const [k, v] of Object.entries(inv.tags)) {
      checkText(k, 'hello.inventory.tags key', 64);
      checkText(v, `hello.inventory.tags[${k}]`, 256);
    }
    if (inv.ipAddresses.length > 64) throw new ValidationError('hello.inventory.ip_addresses lists over 64 addresses');
    const t = now();
    const { lastSeq } = await store.recordHello({ hostId, bootId: h.bootId, inventory: inv, backend: h.backend, nowMs: t });
    const session = new Session(hostId, h.bootId, call, this.opts.maxQueuedFrames ?? 1000, t, this.opts.maxFramesPerSecond ?? 50);
    session.tags = { ...(await this.opts.grantedTags?.(hostId)) };
    session.clock.add(Number(h.sentAtMs), t);
    const old = this.sessions.get(hostId);
    if (old) old.fail(grpc.status.ABORTED, 'superseded by a newer stream from the same agent');
    this.sessions.set(hostId, session);
    this.opts.onPresence?.(hostId, session.tags, true, [...inv.ipAddresses, ...peerAddress(call.getPeer())]);
    await store.patchHost(hostId, { clockOffsetMs: session.clockOffsetMs });
    await session.send({ welcome: { controllerTimeMs: t, heartbeatIntervalMs: this.opts.heartbeatIntervalMs, lastSeq } });
    log.info({ host: hostId, boot: h.bootId, backend: h.backend, lastSeq, peer: call.getPeer() }, 'agent online');
    await this.opts.commands.flush(hostId);
    return session;
  }

  private async heartbeat(s: Session, hb: Heartbeat__Output): Promise<void> {
    const t = this.opts.now();
    s.lastHeartbeatMs = t;
    // the least delayed recent stamp wins, so a heartbeat that queued does not swing patient-zero ordering
    s.clock.add(Number(hb.sentAtMs), t);
    // the enforcement state is rewritten only when it changed: heartbeats are the most frequent frame
    const e = hb.enforcement;
    const key = e ? `${e.rulesetHash}|${e.isolated}|${e.blocks.map((b) => `${b.id}:${b.expiresAtMs}`).join(',')}|${e.allowlist.length}|${e.throttle ? `${e.throttle.newPerSecond}/${e.throttle.burst}/${e.throttle.workingSetS}/${e.throttle.expiresAtMs}` : ''}` : '';
    const changed = key !== s.enforcementKey;
    s.enforcementKey = key;
    await this.opts.store.patchHost(s.hostId, {
      lastSeenMs: t,
      enforcement: changed && e ? e : undefined,
      health: hb.health ?? undefined,
      // one-way estimate with the least delay of the last minute; on a LAN that is small next to clock skew
      clockOffsetMs: hb.sentAtMs ? s.clockOffsetMs : undefined,
    });
    if (changed && e) this.opts.onEnforcement?.(s.hostId);
  }

  /** Closes streams whose agent has been silent for `silentMs`; returns their ids. */
  reapSilent(silentMs: number): string[] {
    const cutoff = this.opts.now() - silentMs;
    const reaped: string[] = [];
    for (const s of this.sessions.values()) {
      if (s.lastHeartbeatMs < cutoff) {
        s.fail(grpc.status.UNAVAILABLE, `no heartbeat for ${silentMs} ms`);
        reaped.push(s.hostId);
      }
    }
    return reaped;
  }

  /** An operator changed a host's granted tags: its live session uses them from now on. */
  retag(hostId: string, tags: Record<string, string>): void {
    const s = this.sessions.get(hostId);
    if (s) s.tags = { ...tags };
  }

  /** Ends one agent's stream at once (revocation). */
  drop(hostId: string, code: grpc.status, reason: string): boolean {
    const s = this.sessions.get(hostId);
    if (!s) return false;
    s.fail(code, reason);
    return true;
  }

  closeAll(): void {
    for (const s of this.sessions.values()) s.fail(grpc.status.UNAVAILABLE, 'controller shutting down');
  }
}

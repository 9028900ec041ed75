// The enforcer owns the host's enforcement state: it validates a command's
// parameters, computes the next state, has the backend apply it as a whole,
// and persists it so a restarted agent re-applies it (nothing in the kernel
// survives a reboot).
//
// Safety around the apply, in the manner of Velociraptor's quarantine:
// - after isolating, it proves within verifyTimeoutMs that the controller still
//   answers and that a destination isolation must block is blocked; if either
//   fails it rolls back to the previous state and reports ROLLED_BACK with why;
// - it refuses a block that would cut the controller's own port, unless forced;
// - blocks and a throttle with an expiry lift themselves (timer) and the agent is told;
// - checkDrift() notices rules changed behind its back and re-applies them.
//
// Fail closed: the state file is written atomically (temp file, fsync, rename,
// fsync of the directory), and a state file that cannot be read at start leaves
// the kernel's rules exactly as they are (never a flush) and marks the state
// lost: the heartbeat says so, stateLostEvent() reports it, and only an ISOLATE
// or RELEASE (which set the whole isolation again) is accepted until then.
import { appendFileSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { createSocket } from 'node:dgram';
import type { Logger } from 'pino';
import type { AnomalyEvent__Output, Command__Output, CommandStatus__Output, PortBlock__Output, ThrottleParams__Output } from '../../proto/wire.ts';
import { checkAllowEntry, checkPortBlock, checkThrottleParams, ValidationError } from '../../proto/validate.ts';
import type { ControllerEndpoint, EnforcementState, FirewallBackend } from './backend.ts';
import { evaluateFlow } from './evaluate.ts';
import { emptyState, endpointText, readStateFile } from './state-file.ts';
import { writeFileAtomic } from '../../proto/private-files.ts';

/** Default time to prove an isolation safe before rolling it back. */
export const DEFAULT_VERIFY_TIMEOUT_MS = 10_000;
/** Default destination isolation must block: TEST-NET-1 (RFC 5737), never a real host. */
export const DEFAULT_BLOCKED_TARGET = { address: '192.0.2.1', port: 9 } as const;

export interface IsolationVerifier {
  /**
   * Resolves when the controller answered within timeoutMs (a round trip on
   * the stream, or a fresh connection if the stream broke); rejects (or
   * resolves false) when it did not. Link.roundTrip fits as is.
   */
  controllerReachable(timeoutMs: number): Promise<unknown>;
  /** A destination isolation must block (TCP); default DEFAULT_BLOCKED_TARGET. */
  blockedTarget?: { address: string; port: number };
  /**
   * How to test the blocked target; default: a TCP connect that counts as
   * "reached" when a UDP datagram to it leaves this host (the local firewall let it out),
   * "blocked" when the send is refused (EPERM: dropped by our output chain).
   */
  reaches?(target: { address: string; port: number }, timeoutMs: number): Promise<boolean>;
}

export interface EnforcerOptions {
  backend: FirewallBackend;
  /** JSON file in the agent's data dir */
  stateFile: string;
  /** where the controller is now (resolved), so isolation keeps it reachable */
  controller: () => ControllerEndpoint;
  log: Logger;
  now?: () => number;
  /** proves an isolation safe; without it isolation is applied unverified (tests, simulator) */
  verify?: IsolationVerifier;
  /** default DEFAULT_VERIFY_TIMEOUT_MS */
  verifyTimeoutMs?: number;
  /** called after blocks expired and were lifted, with the new state */
  onBlocksExpired?: (expired: PortBlock__Output[], state: EnforcementState) => void;
  /** called after the throttle expired and was lifted, with the new state */
  onThrottleExpired?: (expired: ThrottleParams__Output, state: EnforcementState) => void;
}

export interface ExecResult {
  status: Extract<CommandStatus__Output, 'APPLIED' | 'FAILED' | 'ROLLED_BACK'>;
  message: string;
  rules: string[];
}

/** A change made on the host itself (firebreak-agent release --local), reported on next contact. */
export interface LocalAuditEntry {
  action: 'RELEASE';
  atMs: number;
  by: string;
}

/** Parts the agent binds after the enforcer re-applied the saved state at boot (main.ts). */
export type EnforcerHooks = Partial<Pick<EnforcerOptions, 'controller' | 'verify' | 'onBlocksExpired' | 'onThrottleExpired' | 'log'>>;

export class Enforcer {
  private current: EnforcementState;
  private lastRules: string[] = [];
  private expiryTimer: NodeJS.Timeout | undefined;
  private auditSeen = 0;
  private readonly now: () => number;
  /** serialises applies: a command, an expiry and a drift repair never interleave */
  private chain: Promise<unknown> = Promise.resolve();
  private starting: Promise<void> | undefined;
  private lostEvent: AnomalyEvent__Output | undefined;
  /** why the last save failed ('' when it worked) */
  private saveProblem = '';

  constructor(private opts: EnforcerOptions) {
    this.current = emptyState(opts.backend.kind);
    this.now = opts.now ?? Date.now;
  }

  private get auditFile(): string {
    return `${this.opts.stateFile}.local-audit.jsonl`;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Binds the agent's parts (controller endpoint, verifier, expiry callbacks) to an enforcer started at boot. */
  attach(hooks: EnforcerHooks): void {
    this.opts = { ...this.opts, ...Object.fromEntries(Object.entries(hooks).filter(([, v]) => v !== undefined)) };
  }

  /** Where the controller is, as the enforcer keeps it reachable now. */
  endpoint(): ControllerEndpoint {
    return this.opts.controller();
  }

  get started(): boolean {
    return this.starting !== undefined;
  }

  /**
   * Loads the persisted state, drops blocks that expired while down, and
   * re-applies it. Once only: a second call waits for the first. A state file
   * that cannot be read leaves the kernel's rules as they are (see stateLostEvent).
   */
  start(): Promise<void> {
    this.starting ??= this.startOnce();
    return this.starting;
  }

  /**
   * The enforce.state-lost event when the state file was unreadable at start
   * (undefined otherwise): the agent reports it once connected.
   */
  stateLostEvent(): AnomalyEvent__Output | undefined {
    return this.lostEvent;
  }

  private async startOnce(): Promise<void> {
    this.auditSeen = this.readAudit().length;
    const file = readStateFile(this.opts.stateFile);
    if (file.kind === 'lost') {
      // What was isolated or blocked is unknown: the kernel's table is the best record left, so it stays as it is.
      const hash = await this.opts.backend.currentHash().catch(() => undefined);
      const reason = `enforcement state file ${this.opts.stateFile} is unreadable: ${file.reason}`;
      this.current = { ...emptyState(this.opts.backend.kind), rulesetHash: hash ?? '', stateLost: reason };
      this.lostEvent = driftEvent(this.now(), 'enforce.state-lost',
        `${reason}; the kernel's Firebreak rules were left as found (${hash ? 'rules present' : 'none present'}); isolation and blocks on this host are unknown until an isolate or release`);
      this.opts.log.error(`${reason}; the kernel's Firebreak rules are kept as found and the controller is told (enforce.state-lost): send isolate or release to this host to set its state again`);
      return;
    }
    const saved = file.kind === 'ok' ? file.state : undefined;
    if (saved) {
      const now = this.now();
      const expired = saved.blocks.filter((b) => isExpired(b, now));
      // a state file from before the throttle existed has no throttle key
      const throttle = saved.throttle ?? null;
      const throttleExpired = throttle && isExpired(throttle, now) ? throttle : null;
      const next = { ...saved, blocks: saved.blocks.filter((b) => !isExpired(b, now)), throttle: throttleExpired ? null : throttle, backend: this.opts.backend.kind };
      try {
        await this.serial(() => this.applyState(next));
      } catch (err) {
        // Kept as the state to enforce, marked unapplied: the drift check retries it (and never flushes the kernel instead).
        this.current = { ...next, rulesetHash: 'not-applied' };
        this.opts.log.error(`could not re-apply the saved enforcement from ${this.opts.stateFile} (${(err as Error).message}); the kernel keeps whatever rules it has; retrying at every drift check`);
        this.scheduleExpiry();
        return;
      }
      this.opts.log.info({ isolated: this.current.isolated, blocks: this.current.blocks.length, throttled: Boolean(this.current.throttle), expired: expired.length + (throttleExpired ? 1 : 0) }, 'enforcement state re-applied');
      if (expired.length) this.opts.onBlocksExpired?.(expired, this.state());
      if (throttleExpired) this.opts.onThrottleExpired?.(throttleExpired, this.state());
    }
    this.scheduleExpiry();
  }

  /** Stops the expiry timer; the rules stay in the kernel (enforcement outlives the agent). */
  stop(): void {
    clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
  }

  state(): EnforcementState {
    return structuredClone(this.current);
  }

  rules(): string[] {
    return [...this.lastRules];
  }

  /** Validates, applies and persists one command. Never throws: a refusal is a FAILED result. */
  execute(cmd: Command__Output): Promise<ExecResult> {
    return this.serial(() => this.executeNow(cmd));
  }

  private async executeNow(cmd: Command__Output): Promise<ExecResult> {
    let next: EnforcementState;
    try {
      next = this.nextState(cmd);
    } catch (err) {
      const message = err instanceof ValidationError ? `refused: ${err.message}` : `refused: ${(err as Error).message}`;
      return { status: 'FAILED', message, rules: [] };
    }
    const previous = this.current;
    try {
      await this.applyState(next);
    } catch (err) {
      // the backend applies atomically, so a failed apply leaves the old rules in place
      return { status: 'FAILED', message: `firewall apply failed, previous rules kept: ${(err as Error).message}`, rules: [] };
    }
    // applied in the kernel, but a restart would not re-apply it: the operator must know
    const unsaved = this.saveProblem ? `; WARNING: ${this.saveProblem}` : '';
    this.scheduleExpiry();
    if (cmd.action === 'ISOLATE' && this.opts.verify) {
      const problem = await this.verifyIsolation();
      if (problem) {
        const rules = this.rules();
        try {
          await this.applyState(previous);
        } catch (err) {
          return { status: 'FAILED', message: `isolation failed verification (${problem}) and the rollback failed too: ${(err as Error).message}; the host may still be isolated`, rules };
        }
        this.opts.log.warn({ problem }, 'isolation rolled back');
        return { status: 'ROLLED_BACK', message: `isolation rolled back: ${problem}${unsaved}`, rules };
      }
    }
    return { status: 'APPLIED', message: describe(cmd) + unsaved, rules: this.rules() };
  }

  /** undefined when the isolation is proven safe and effective, else what failed. */
  private async verifyIsolation(): Promise<string | undefined> {
    const v = this.opts.verify!;
    const timeoutMs = this.opts.verifyTimeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS;
    const target = v.blockedTarget ?? DEFAULT_BLOCKED_TARGET;
    const reaches = v.reaches ?? udpLeaves;
    const controllerCheck = (async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const ok = await Promise.race([
          v.controllerReachable(timeoutMs),
          new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs); }),
        ]);
        return ok === false ? 'the controller is not reachable after isolation' : undefined;
      } catch (err) {
        return `the controller is not reachable after isolation (${(err as Error).message})`;
      } finally {
        clearTimeout(timer);
      }
    })();
    const blockedCheck = (async () => {
      // A target the state itself lets through (allowlist) proves nothing either way.
      const flow = { direction: 'out' as const, protocol: 'udp' as const, localPort: 40000, remoteAddress: target.address, remotePort: target.port };
      if (evaluateFlow(this.current, this.opts.controller(), flow, this.now()).pass) return undefined;
      // the kernel answers a UDP send at once: EPERM when our output chain drops it, success when it leaves
      const reached = await reaches(target, Math.min(timeoutMs, 2000)).catch(() => false);
      return reached ? `${target.address}:${target.port} is still reachable, so isolation is not in effect` : undefined;
    })();
    const problems = (await Promise.all([controllerCheck, blockedCheck])).filter(Boolean);
    return problems.length ? problems.join('; ') : undefined;
  }

  private nextState(cmd: Command__Output): EnforcementState {
    const next = structuredClone(this.current);
    if (next.stateLost) {
      // Only a command that sets the whole isolation may end an unknown state; a block
      // on top of an empty state would silently lift an isolation still in the kernel.
      if (cmd.action !== 'ISOLATE' && cmd.action !== 'RELEASE') {
        throw new ValidationError(`this host's enforcement state is unknown (${next.stateLost}); send isolate or release first to set it, then ${String(cmd.action).toLowerCase()}`);
      }
      next.stateLost = '';
    }
    switch (cmd.action) {
      case 'ISOLATE':
        next.isolated = true;
        next.allowlist = (cmd.isolate?.allowlist ?? []).map(checkAllowEntry);
        return next;
      case 'RELEASE':
        // release lifts isolation only; port blocks stay
        next.isolated = false;
        next.allowlist = [];
        return next;
      case 'BLOCK': {
        const block = checkPortBlock(cmd.block?.block);
        if (block.expiresAtMs !== 0 && block.expiresAtMs <= this.now()) {
          throw new ValidationError(`block ${block.id} expired at ${new Date(block.expiresAtMs).toISOString()}, before it could be applied`);
        }
        if (!cmd.block?.force) this.refuseIfCutsController(block);
        next.blocks = [...next.blocks.filter((b) => b.id !== block.id), block];
        return next;
      }
      case 'UNBLOCK': {
        const id = cmd.unblock?.blockId ?? '';
        if (!next.blocks.some((b) => b.id === id)) {
          throw new ValidationError(`no port block with id ${JSON.stringify(id)} on this host`);
        }
        next.blocks = next.blocks.filter((b) => b.id !== id);
        return next;
      }
      case 'THROTTLE': {
        // the defaults are filled here, so the state (and every heartbeat) says what is in force
        const throttle = checkThrottleParams(cmd.throttle);
        if (isExpired(throttle, this.now())) {
          throw new ValidationError(`the throttle expired at ${new Date(throttle.expiresAtMs).toISOString()}, before it could be applied`);
        }
        next.throttle = throttle;
        return next;
      }
      case 'UNTHROTTLE':
        // idempotent, like release: lifting what is not there is not an error
        next.throttle = null;
        return next;
      default:
        throw new ValidationError(`unknown action ${JSON.stringify(cmd.action)}`);
    }
  }

  /** The evaluator decides: would this block alone drop our link to the controller? */
  private refuseIfCutsController(block: PortBlock__Output): void {
    const controller = this.opts.controller();
    const alone = { ...emptyState(this.opts.backend.kind), blocks: [block] };
    for (const { address, port } of controller.targets) {
      const flow = { direction: 'out' as const, protocol: 'tcp' as const, localPort: 40000, remoteAddress: address, remotePort: port };
      if (!evaluateFlow(alone, controller, flow, this.now()).pass) {
        throw new ValidationError(
          `block ${block.id} would cut this agent's link to the controller (${address} tcp/${port}); send it with force to block it anyway`,
        );
      }
    }
  }

  /**
   * Lifts every block (and the throttle) expired at `now` (default: the clock);
   * returns the lifted blocks.
   */
  expireBlocks(now = this.now()): Promise<PortBlock__Output[]> {
    return this.serial(async () => {
      const expired = this.current.blocks.filter((b) => isExpired(b, now));
      const throttle = this.current.throttle;
      const throttleExpired = throttle && isExpired(throttle, now) ? throttle : null;
      if (expired.length === 0 && !throttleExpired) return [];
      try {
        await this.applyState({
          ...this.current,
          blocks: this.current.blocks.filter((b) => !isExpired(b, now)),
          throttle: throttleExpired ? null : throttle,
        });
      } catch (err) {
        this.opts.log.error({ err, blocks: expired.map((b) => b.id), throttle: Boolean(throttleExpired) }, 'could not lift expired blocks or throttle; will retry');
        return [];
      } finally {
        this.scheduleExpiry();
      }
      if (expired.length) {
        this.opts.log.info({ blocks: expired.map((b) => b.id) }, 'port blocks expired and lifted');
        this.opts.onBlocksExpired?.(expired, this.state());
      }
      if (throttleExpired) {
        this.opts.log.info({ throttle: throttleExpired }, 'throttle expired and lifted');
        this.opts.onThrottleExpired?.(throttleExpired, this.state());
      }
      return expired;
    });
  }

  private scheduleExpiry(): void {
    clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    const times = this.current.blocks.map((b) => b.expiresAtMs);
    if (this.current.throttle) times.push(Number(this.current.throttle.expiresAtMs));
    const next = Math.min(...times.filter((t) => t > 0));
    if (!Number.isFinite(next)) return;
    // capped so a far-off expiry does not overflow setTimeout; a retry after a failed lift waits 1 s at least
    const delay = Math.min(Math.max(next - this.now(), 0), 2 ** 31 - 1);
    this.expiryTimer = setTimeout(() => void this.expireBlocks(), Math.max(delay, 1));
    this.expiryTimer.unref?.();
  }

  /**
   * Compares what is in the kernel with what was applied. On a difference it
   * re-applies the state and returns an ENFORCEMENT_DRIFT event (signature
   * enforce.drift). A local release (firebreak-agent release --local) is adopted,
   * not undone, and returned as an event with signature enforce.local-release.
   */
  checkDrift(): Promise<AnomalyEvent__Output | undefined> {
    return this.serial(async () => {
      const audit = this.readAudit();
      if (audit.length > this.auditSeen) {
        const fresh = audit.slice(this.auditSeen);
        this.auditSeen = audit.length;
        const saved = readStateFile(this.opts.stateFile);
        if (saved.kind === 'ok') this.current = { ...saved.state, backend: this.opts.backend.kind };
        this.scheduleExpiry();
        const detail = fresh.map((e) => `${e.action.toLowerCase()} by ${e.by} at ${new Date(e.atMs).toISOString()}`).join('; ');
        return driftEvent(this.now(), 'enforce.local-release', `isolation lifted locally on the host: ${detail}`);
      }
      const expected = this.current.rulesetHash || undefined;
      const actual = await this.opts.backend.currentHash();
      if (actual === expected) return undefined;
      const what = actual === undefined ? 'Firebreak rules are gone from the kernel' : 'Firebreak rules in the kernel differ from what was applied';
      if (this.current.stateLost) {
        // nothing known to re-apply: re-applying the empty state would lift whatever isolation is left
        this.current = { ...this.current, rulesetHash: actual ?? '' };
        this.opts.log.warn(`${what} while this host's enforcement state is unknown; not re-applied`);
        return driftEvent(this.now(), 'enforce.drift', `${what} while the enforcement state is unknown (${this.current.stateLost}); not re-applied: send isolate or release`);
      }
      try {
        await this.applyState(this.current);
      } catch (err) {
        this.opts.log.error({ err }, 'drift found and the re-apply failed');
        return driftEvent(this.now(), 'enforce.drift', `${what}; re-apply failed: ${(err as Error).message}`);
      }
      this.opts.log.warn({ expected, actual }, `${what}; re-applied`);
      return driftEvent(this.now(), 'enforce.drift', `${what}; re-applied (isolated=${this.current.isolated}, blocks=${this.current.blocks.length}, throttled=${Boolean(this.current.throttle)})`);
    });
  }

  /**
   * `firebreak-agent release --local`: lifts isolation (port blocks stay) from
   * the host itself, without the controller, and records who did it so the
   * running agent adopts the change and reports it on next contact.
   */
  releaseLocal(by: string): Promise<ExecResult> {
    return this.serial(async () => {
      const saved = readStateFile(this.opts.stateFile);
      if (saved.kind === 'ok') this.current = { ...saved.state, backend: this.opts.backend.kind };
      // With the state file unreadable, what is in the kernel is unknown: the release clears every Firebreak rule.
      const lost = saved.kind === 'lost' ? saved.reason : '';
      if (!this.current.isolated && !lost) return { status: 'APPLIED', message: 'host was not isolated; nothing to release', rules: this.rules() };
      try {
        await this.applyState(lost ? emptyState(this.opts.backend.kind) : { ...this.current, isolated: false, allowlist: [] });
      } catch (err) {
        return { status: 'FAILED', message: `local release failed, isolation still in place: ${(err as Error).message}`, rules: [] };
      }
      const entry: LocalAuditEntry = { action: 'RELEASE', atMs: this.now(), by };
      appendFileSync(this.auditFile, JSON.stringify(entry) + '\n', { mode: 0o600 });
      const extra = lost ? ` (the state file ${this.opts.stateFile} was unreadable: ${lost}; every Firebreak rule, port blocks too, was removed)` : '';
      return { status: 'APPLIED', message: `isolation lifted locally by ${by}${extra}; the controller will be told on next contact`, rules: this.rules() };
    });
  }

  /** Every local change recorded so far (oldest first). */
  localAudit(): LocalAuditEntry[] {
    return this.readAudit();
  }

  private readAudit(): LocalAuditEntry[] {
    try {
      return readFileSync(this.auditFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LocalAuditEntry);
    } catch {
      return [];
    }
  }

  private async applyState(next: EnforcementState): Promise<void> {
    const controller = this.opts.controller();
    const result = await this.opts.backend.apply(next, controller);
    this.current = {
      ...next,
      backend: this.opts.backend.kind,
      rulesetHash: result.rulesetHash,
      controllerEndpoint: endpointText(controller),
      stateLost: '',
    };
    this.lastRules = result.rules;
    this.save();
  }

  /**
   * Re-applies the state when the controller's addresses changed since it was
   * applied (the name resolved at last, or to new addresses), so isolation keeps
   * the link open. Nothing to do while nothing is applied or the state is lost.
   */
  controllerMoved(): Promise<void> {
    return this.serial(async () => {
      const st = this.current;
      if (st.stateLost || !st.rulesetHash || st.controllerEndpoint === endpointText(this.opts.controller())) return;
      if (!st.isolated && st.blocks.length === 0 && !st.throttle) return;
      await this.applyState(st);
      this.opts.log.info({ controller: this.current.controllerEndpoint }, 'enforcement re-applied for the controller\'s current addresses');
    });
  }

  /**
   * Atomic and durable: temp file, fsync, rename, fsync of the directory, so a
   * crash or power loss leaves the old state or the new one, never half of one.
   * A failure (read-only or full data dir) is logged, not thrown: the rules are
   * already in the kernel, and the next command's result carries the warning.
   */
  private save(): void {
    const file = this.opts.stateFile;
    try {
      writeFileAtomic(file, JSON.stringify(this.current), { durable: true });
      this.saveProblem = '';
    } catch (err) {
      this.saveProblem = `the enforcement state could not be saved to ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): the rules are in the kernel but a restart would not re-apply them; make the data dir writable`;
      this.opts.log.error(this.saveProblem);
    }
  }
}

const isExpired = (b: { expiresAtMs: number }, now: number): boolean => Number(b.expiresAtMs) !== 0 && Number(b.expiresAtMs) <= now;

function driftEvent(now: number, signature: string, detail: string): AnomalyEvent__Output {
  return {
    kind: 'ENFORCEMENT_DRIFT', signature, observedAtMs: now, value: 1, baseline: 0, score: 1, count: 1,
    evidence: { processes: [], remotes: [], detail }, cleared: false,
  };
}

/** Connected or refused = a reply came back = reached. A drop shows as EPERM (local rule) or a timeout. */
/**
 * True when one UDP datagram to the target leaves this host, false when the
 * local firewall refuses it (EPERM). It needs no answer from the target, so it
 * is immediate; a TCP connect through a drop would only time out.
 */
export function udpLeaves(target: { address: string; port: number }, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket(target.address.includes(':') ? 'udp6' : 'udp4');
    const done = (left: boolean) => {
      clearTimeout(timer);
      sock.close();
      resolve(left);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on('error', () => done(false));
    sock.send(Buffer.from('firebreak isolation probe'), target.port, target.address, (err) => done(!err));
  });
}

export function tcpReaches(target: { address: string; port: number }, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: target.address, port: target.port });
    const done = (reached: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(reached);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on('connect', () => done(true));
    sock.on('error', (err) => done((err as NodeJS.ErrnoException).code === 'ECONNREFUSED'));
  });
}

function describe(cmd: Command__Output): string {
  switch (cmd.action) {
    case 'ISOLATE': return 'host isolated';
    case 'RELEASE': return 'isolation lifted';
    case 'BLOCK': return `port block ${cmd.block?.block?.id ?? ''} applied`;
    case 'UNBLOCK': return `port block ${cmd.unblock?.blockId ?? ''} removed`;
    case 'THROTTLE': {
      const t = checkThrottleParams(cmd.throttle);
      return `throttle applied: ${t.newPerSecond} new destination(s)/s, burst ${t.burst}, working set ${t.workingSetS} s${t.expiresAtMs ? `, until ${new Date(t.expiresAtMs).toISOString()}` : ''}`;
    }
    case 'UNTHROTTLE': return 'throttle lifted';
    default: return 'applied';
  }
}

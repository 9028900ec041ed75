// Commands: an operator's or a playbook's request to change one host's
// enforcement. Desired state lives here; each command is stored before it is
// sent, delivered when the agent is (or comes back) online, and moves
// QUEUED → SENT → APPLIED | FAILED | ROLLED_BACK, or EXPIRED when its time runs out.
import { EventEmitter } from 'node:events';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type {
  Command__Output,
  CommandResult__Output,
  CommandView__Output,
  IssueCommandRequest__Output,
} from '../proto/wire.ts';
import { checkAction, checkAllowEntry, checkAgentId, checkPortBlock, checkText, checkThrottleParams, ValidationError } from '../proto/validate.ts';
import type { AuditLog } from './audit/log.ts';
import type { Store } from './store/store.ts';
import { isTerminal } from './store/sqlite.ts';

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/** Delivers a command to a connected agent; false when the agent is not connected. */
export type Deliver = (hostId: string, cmd: Command__Output) => Promise<boolean>;

export interface CommandsOptions {
  store: Store;
  log: Logger;
  now: () => number;
  defaultTtlMs: number;
  maxTtlMs: number;
  /** signs a command before it is stored, so what is re-delivered later is what was signed */
  sign: (cmd: Command__Output) => Buffer;
  audit?: AuditLog;
  /** told when a command could not be sent here because the host's stream is not on this controller (a cluster: another may hold it) */
  undelivered?: (hostId: string) => void;
  /** told of each command issued and each final status (metrics); must not throw */
  observe?: {
    issued(action: string, issuer: string): void;
    final(action: string, status: string): void;
    /** a command was stored or changed status (the dashboard's live updates); must be cheap */
    changed?(commandId: string): void;
  };
}

export class Commands {
  private readonly changes = new EventEmitter();
  private deliver: Deliver = async () => false;

  constructor(private readonly opts: CommandsOptions) {
    this.changes.setMaxListeners(0);
  }

  setDeliver(fn: Deliver): void {
    this.deliver = fn;
  }

  /** Validates and stores a command, then delivers it if the host is online. */
  async issue(req: IssueCommandRequest__Output, issuer: string): Promise<CommandView__Output> {
    const hostId = checkAgentId(req.hostId, 'host_id');
    if (!(await this.opts.store.hostExists(hostId))) {
      throw new NotFoundError(`unknown host '${hostId}': no agent with that id has ever connected (list them with 'firebreak hosts')`);
    }
    const now = this.opts.now();
    const cmd = this.build(req, hostId, issuer, now);
    await this.opts.store.insertCommand(cmd, now);
    await this.opts.audit?.append(issuer, 'command.issue', hostId, { command: cmd.id, action: cmd.action, reason: cmd.reason, params: cmd[cmd.params ?? 'isolate'] ?? null });
    this.opts.log.info({ command: cmd.id, host: hostId, action: cmd.action, issuer, reason: cmd.reason }, 'command queued');
    this.opts.observe?.issued(cmd.action, issuer);
    this.opts.observe?.changed?.(cmd.id);
    await this.send(hostId, cmd);
    return (await this.opts.store.getCommand(cmd.id))!;
  }

  /**
   * One command (the same action and parameters) to each of many hosts, known to exist
   * (a resolved host selector): each validated and signed, stored in one transaction where the store
   * can, audited as one entry that lists every command with `audit` (the selector), then
   * delivered. A thousand hosts cost one commit and one audit append, not a thousand.
   */
  async issueMany(req: IssueCommandRequest__Output, hostIds: readonly string[], issuer: string, audit: Record<string, unknown>): Promise<Array<{ hostId: string; commandId: string }>> {
    const now = this.opts.now();
    const t0 = performance.now();
    const cmds = hostIds.map((h) => this.build({ ...req, hostId: h }, checkAgentId(h, 'host_id'), issuer, now));
    if (cmds.length === 0) return [];
    const t1 = performance.now();
    const store = this.opts.store;
    if (store.insertCommands) await store.insertCommands(cmds, now);
    else for (const c of cmds) await store.insertCommand(c, now);
    const t2 = performance.now();
    const first = cmds[0]!;
    await this.opts.audit?.append(issuer, 'command.issue.fleet', String(audit.selector ?? ''), {
      ...audit, action: first.action, reason: first.reason, params: first[first.params ?? 'isolate'] ?? null,
      count: cmds.length, commands: cmds.map((c) => [c.targetAgentId, c.id]),
    });
    const t3 = performance.now();
    for (const c of cmds) { this.opts.observe?.issued(c.action, issuer); this.opts.observe?.changed?.(c.id); }
    // delivered side by side (each waits only on its own stream's write), then marked SENT in one
    // transaction: a statement per command between the writes would hold back the flush of them all
    if (store.markCommandsSent) {
      const delivered = await Promise.all(cmds.map((c) => this.deliver(c.targetAgentId, c)));
      const sent = cmds.filter((_, i) => delivered[i]);
      cmds.forEach((c, i) => { if (!delivered[i]) this.opts.undelivered?.(c.targetAgentId); });
      await store.markCommandsSent(sent.map((c) => c.id), this.opts.now());
      for (const c of sent) this.emit(c.id);
    } else {
      await Promise.all(cmds.map((c) => this.send(c.targetAgentId, c)));
    }
    const ms = (a: number, b: number) => Math.round(b - a);
    this.opts.log.info({
      commands: cmds.length, action: first.action, issuer, selector: audit.selector,
      buildMs: ms(t0, t1), storeMs: ms(t1, t2), auditMs: ms(t2, t3), sendMs: ms(t3, performance.now()),
    }, 'fleet commands issued');
    return cmds.map((c) => ({ hostId: c.targetAgentId, commandId: c.id }));
  }

  /** A validated, signed command for one host (not stored yet). */
  private build(req: IssueCommandRequest__Output, hostId: string, issuer: string, now: number): Command__Output {
    const action = checkAction(req.action);
    const reason = checkText(req.reason, 'reason', 512);
    const ttlMs = req.ttlS > 0 ? req.ttlS * 1000 : this.opts.defaultTtlMs;
    if (ttlMs > this.opts.maxTtlMs) {
      throw new ValidationError(`ttl ${req.ttlS}s is longer than the maximum ${this.opts.maxTtlMs / 1000}s`);
    }
    const cmd: Command__Output = {
      id: `cmd-${randomUUID()}`,
      targetAgentId: hostId,
      action,
      issuer,
      reason,
      issuedAtMs: now,
      expiresAtMs: now + ttlMs,
      nonce: randomBytes(16).toString('hex'),
      signature: Buffer.alloc(0),
    };
    switch (action) {
      case 'ISOLATE':
        cmd.isolate = { allowlist: (req.isolate?.allowlist ?? []).map(checkAllowEntry) };
        cmd.params = 'isolate';
        break;
      case 'BLOCK': {
        const block = checkPortBlock(req.block?.block);
        cmd.block = { block, force: req.block?.force ?? false };
        cmd.params = 'block';
        break;
      }
      case 'UNBLOCK': {
        const blockId = req.unblock?.blockId ?? '';
        if (!blockId) throw new ValidationError('unblock needs the id of the block to remove');
        cmd.unblock = { blockId: checkText(blockId, 'block_id', 64) };
        cmd.params = 'unblock';
        break;
      }
      case 'THROTTLE': {
        const throttle = checkThrottleParams(req.throttle);
        if (throttle.expiresAtMs !== 0) {
          if (throttle.expiresAtMs <= now) {
            throw new ValidationError(`the throttle's expiry ${new Date(throttle.expiresAtMs).toISOString()} has already passed: give a later one, or none`);
          }
          // delivered after its own expiry the agent would refuse it: the command expires with it
          cmd.expiresAtMs = Math.min(cmd.expiresAtMs, throttle.expiresAtMs);
        }
        cmd.throttle = throttle;
        cmd.params = 'throttle';
        break;
      }
      case 'RELEASE':
      case 'UNTHROTTLE':
        break;
    }
    cmd.signature = this.opts.sign(cmd);
    return cmd;
  }

  /** Sends every pending command of a host (called when its agent says Hello). */
  async flush(hostId: string): Promise<void> {
    for (const cmd of await this.opts.store.pendingCommands(hostId, this.opts.now())) {
      if (!(await this.send(hostId, cmd))) break;
    }
  }

  private async send(hostId: string, cmd: Command__Output): Promise<boolean> {
    const delivered = await this.deliver(hostId, cmd);
    if (delivered) {
      await this.opts.store.updateCommand(cmd.id, ['QUEUED'], { status: 'SENT', atMs: this.opts.now() });
      this.emit(cmd.id);
    } else this.opts.undelivered?.(hostId);
    return delivered;
  }

  /** Records an agent's result. An agent may only report on commands addressed to it. */
  async result(hostId: string, r: CommandResult__Output): Promise<void> {
    const view = await this.opts.store.getCommand(r.commandId);
    if (!view || view.command?.targetAgentId !== hostId) {
      this.opts.log.warn({ host: hostId, command: r.commandId }, 'result for a command not addressed to this agent refused');
      return;
    }
    if (!['APPLIED', 'FAILED', 'ROLLED_BACK'].includes(r.status)) {
      this.opts.log.warn({ host: hostId, command: r.commandId, status: r.status }, 'command result with a non-final status refused');
      return;
    }
    const updated = await this.opts.store.updateCommand(r.commandId, ['QUEUED', 'SENT'], {
      status: r.status, message: r.message, rules: r.rules, state: r.state, atMs: this.opts.now(),
    });
    if (updated) {
      this.opts.log.info({ command: r.commandId, host: hostId, status: r.status, message: r.message }, 'command finished');
      this.opts.observe?.final(view.command.action, r.status);
      if (r.status !== 'APPLIED') this.opts.audit?.record(`agent:${hostId}`, `command.${r.status.toLowerCase()}`, hostId, { command: r.commandId, message: r.message });
      this.emit(r.commandId);
    }
  }

  async expire(): Promise<void> {
    for (const id of await this.opts.store.expireCommands(this.opts.now())) {
      this.opts.log.warn({ command: id }, 'command expired before the agent applied it');
      if (this.opts.observe) this.opts.observe.final((await this.opts.store.getCommand(id))?.command?.action ?? 'unknown', 'EXPIRED');
      this.emit(id);
    }
  }

  async get(id: string): Promise<CommandView__Output> {
    const view = await this.opts.store.getCommand(id);
    if (!view) throw new NotFoundError(`unknown command '${id}' (list them with 'firebreak commands')`);
    return view;
  }

  /** Resolves when the command reaches a final status or the timeout passes. */
  async wait(id: string, timeoutMs: number): Promise<CommandView__Output> {
    const first = await this.get(id);
    if (isTerminal(first.status)) return first;
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.changes.off(id, check);
      };
      const check = () => {
        this.get(id).then((v) => {
          if (isTerminal(v.status)) { done(); resolve(v); }
        }, (err) => { done(); reject(err); });
      };
      const timer = setTimeout(() => { done(); this.get(id).then(resolve, reject); }, timeoutMs);
      this.changes.on(id, check);
    });
  }

  /** Another controller changed this command: whoever waits on it here looks again. */
  changedElsewhere(id: string): void {
    this.changes.emit(id);
  }

  private emit(id: string): void {
    this.changes.emit(id);
    this.opts.observe?.changed?.(id);
  }
}

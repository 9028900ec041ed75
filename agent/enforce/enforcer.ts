// The enforcer owns the host's enforcement state: it validates a command's
// parameters, computes the next state, has the backend apply it as a whole,
// and persists it so a restarted agent re-applies it (nothing in the kernel
// survives a reboot).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Command__Output, CommandStatus__Output } from '../../proto/wire.ts';
import { checkAllowEntry, checkPortBlock, ValidationError } from '../../proto/validate.ts';
import type { ControllerEndpoint, EnforcementState, FirewallBackend } from './backend.ts';

export interface EnforcerOptions {
  backend: FirewallBackend;
  /** JSON file in the agent's data dir */
  stateFile: string;
  /** where the controller is now (resolved), so isolation keeps it reachable */
  controller: () => ControllerEndpoint;
  log: Logger;
  now?: () => number;
}

export interface ExecResult {
  status: Extract<CommandStatus__Output, 'APPLIED' | 'FAILED' | 'ROLLED_BACK'>;
  message: string;
  rules: string[];
}

export function emptyState(backend: EnforcementState['backend']): EnforcementState {
  return { isolated: false, allowlist: [], blocks: [], backend, rulesetHash: '', controllerEndpoint: '' };
}

export class Enforcer {
  private current: EnforcementState;
  private lastRules: string[] = [];

  constructor(private readonly opts: EnforcerOptions) {
    this.current = emptyState(opts.backend.kind);
  }

  /** Loads the persisted state and re-applies it. */
  async start(): Promise<void> {
    const saved = this.load();
    if (saved) {
      this.current = { ...saved, backend: this.opts.backend.kind };
      await this.applyState(this.current);
      this.opts.log.info({ isolated: this.current.isolated, blocks: this.current.blocks.length }, 'enforcement state re-applied');
    }
  }

  state(): EnforcementState {
    return structuredClone(this.current);
  }

  rules(): string[] {
    return [...this.lastRules];
  }

  /** Validates, applies and persists one command. Never throws: a refusal is a FAILED result. */
  async execute(cmd: Command__Output): Promise<ExecResult> {
    let next: EnforcementState;
    try {
      next = this.nextState(cmd);
    } catch (err) {
      const message = err instanceof ValidationError ? `refused: ${err.message}` : `refused: ${(err as Error).message}`;
      return { status: 'FAILED', message, rules: [] };
    }
    try {
      await this.applyState(next);
    } catch (err) {
      // the backend applies atomically, so a failed apply leaves the old rules in place
      return { status: 'FAILED', message: `firewall apply failed, previous rules kept: ${(err as Error).message}`, rules: [] };
    }
    return { status: 'APPLIED', message: describe(cmd), rules: this.rules() };
  }

  private nextState(cmd: Command__Output): EnforcementState {
    const next = structuredClone(this.current);
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
      default:
        throw new ValidationError(`unknown action ${JSON.stringify(cmd.action)}`);
    }
  }

  private async applyState(next: EnforcementState): Promise<void> {
    const controller = this.opts.controller();
    const result = await this.opts.backend.apply(next, controller);
    this.current = {
      ...next,
      backend: this.opts.backend.kind,
      rulesetHash: result.rulesetHash,
      controllerEndpoint: controller.addresses.map((a) => (a.includes(':') ? `[${a}]` : a) + `:${controller.port}`).join(','),
    };
    this.lastRules = result.rules;
    this.save();
  }

  private load(): EnforcementState | undefined {
    try {
      return JSON.parse(readFileSync(this.opts.stateFile, 'utf8')) as EnforcementState;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      this.opts.log.error({ err, file: this.opts.stateFile }, 'enforcement state file unreadable; starting with no rules');
      return undefined;
    }
  }

  private save(): void {
    // write then rename, so a crash mid-write never leaves half a state file
    const tmp = `${this.opts.stateFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.current), { mode: 0o600 });
    renameSync(tmp, this.opts.stateFile);
  }
}

function describe(cmd: Command__Output): string {
  switch (cmd.action) {
    case 'ISOLATE': return 'host isolated';
    case 'RELEASE': return 'isolation lifted';
    case 'BLOCK': return `port block ${cmd.block?.block?.id ?? ''} applied`;
    case 'UNBLOCK': return `port block ${cmd.unblock?.blockId ?? ''} removed`;
    default: return 'applied';
  }
}

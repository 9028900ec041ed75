// The act stage: alert transitions go to the playbook engine, which issues
// signed commands through the same path as an operator (audited as
// playbook:<name>). This module wires the engine to the controller: a host
// registry for its fleet view, the playbook directory, its timer and its state.
import type { Logger } from 'pino';
import type { AuditLog } from './audit/log.ts';
import type { Commands } from './commands.ts';
import { NotFoundError } from './commands.ts';
import type { PlaybookApi } from './operator-alerts.ts';
import type { Pipeline } from './pipeline/pipeline.ts';
import type { AlertTransition } from './pipeline/stage-types.ts';
import {
  fleetView, parsePlaybook, PlaybookEngine, PlaybookError, PlaybookSource, webhookNotifier, type FleetHost, type FleetView,
} from './playbooks/index.ts';
import type { Store } from './store/store.ts';
import { ValidationError } from '../proto/validate.ts';

export const PLAYBOOK_STATE_KEY = 'playbooks';

export interface ContainmentOptions {
  dir: string;
  store: Store;
  commands: Commands;
  audit: AuditLog;
  pipeline: () => Pipeline;
  /** the agent port, never blocked by a playbook */
  controllerPort: number;
  blastRadius?: { fraction?: number; maxHosts?: number; windowMs?: number };
  log: Logger;
  now: () => number;
}

export class Containment implements PlaybookApi {
  /** every host ever seen, with its tags and whether its agent is connected */
  readonly hosts = new Map<string, FleetHost>();
  private engine!: PlaybookEngine;
  private source!: PlaybookSource;
  private fleet!: FleetView;

  constructor(private readonly o: ContainmentOptions) {}

  async start(): Promise<void> {
    const { o } = this;
    for (const h of await o.store.listHosts()) this.hosts.set(h.id, { id: h.id, tags: h.inventory?.tags ?? {}, online: false });
    const opts = {
      log: o.log,
      blastRadius: o.blastRadius,
      controller: { port: o.controllerPort },
      ports: {
        issue: async (_host: string, req: Parameters<Commands['issue']>[0], issuer: string) => {
          const v = await o.commands.issue(req, issuer);
          return { commandId: v.command!.id };
        },
        audit: (actor: string, action: string, target: string, detail: unknown) => o.audit.record(actor, action, target, detail),
        notify: webhookNotifier({ log: o.log }),
      },
    };
    const saved = await o.store.getState(PLAYBOOK_STATE_KEY);
    try {
      this.engine = saved ? PlaybookEngine.restore(JSON.parse(saved), opts) : new PlaybookEngine(opts);
    } catch (err) {
      o.log.error({ err }, 'saved playbook state is unreadable; starting with no runs');
      this.engine = new PlaybookEngine(opts);
    }
    this.fleet = fleetView(() => this.hosts, { alertHosts: (id) => o.pipeline().book.alertHosts(id) });
    this.source = new PlaybookSource({ dir: o.dir, log: o.log, onLoad: (r) => this.engine.setPlaybooks(r) });
    const loaded = this.source.reload();
    for (const e of loaded.errors) o.log.error(`playbook refused: ${e.file}:${e.line}: ${e.message}`);
    o.log.info({ dir: o.dir, playbooks: loaded.playbooks.map((p) => p.playbook.name) }, 'playbooks loaded');
    this.source.start();
  }

  onHost(id: string, tags: Record<string, string>, online: boolean): void {
    this.hosts.set(id, { id, tags, online });
  }

  onTransition(t: AlertTransition): void {
    this.engine.onTransition(t, this.fleet, t.atMs).catch((err) => this.o.log.error({ err, alert: t.alert.id }, 'playbook run failed'));
  }

  tick(): void {
    this.engine.tick(this.o.now()).catch((err) => this.o.log.error({ err }, 'playbook tick failed'));
  }

  async save(): Promise<void> {
    await this.o.store.putState(PLAYBOOK_STATE_KEY, JSON.stringify(this.engine.toJSON()), this.o.now());
  }

  stop(): void {
    this.source?.close();
  }

  // ---------------------------------------------------------------- PlaybookApi

  list(): unknown[] {
    return [
      ...this.engine.list(),
      ...this.engine.errors().map((e) => ({ name: '-', enabled: false, file: e.file, error: `line ${e.line}: ${e.message}` })),
    ];
  }

  validate(name: string, yaml: string): unknown {
    const r = parsePlaybook(yaml, name);
    return r.ok ? { ok: true, name: r.playbook.name } : { ok: false, errors: r.errors };
  }

  setEnabled(name: string, enabled: boolean, by: string): unknown {
    return this.guard(() => {
      // the engine audits the change itself (playbook.enable / playbook.disable)
      return enabled ? this.engine.enable(name, by) : this.engine.disable(name, by);
    });
  }

  listRuns(limit: number): unknown[] {
    return this.engine.listRuns({ limit });
  }

  getRun(id: string): unknown | undefined {
    return this.engine.getRun(id);
  }

  async approve(id: string, by: string): Promise<unknown> {
    try {
      // audited by the engine (playbook.approve, with the run, its alert and the hosts)
      return await this.engine.approve(id, by, this.o.now());
    } catch (err) {
      return this.guard(() => { throw err; });
    }
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof PlaybookError) throw /unknown|no run|no playbook/i.test(err.message) ? new NotFoundError(err.message) : new ValidationError(err.message);
      throw err;
    }
  }
}

// The act stage: alert transitions go to the playbook engine, which issues
// signed commands through the same path as an operator (audited as
// playbook:<name>). This module wires the engine to the controller: a host
// registry for its fleet view, the playbook directory, its timer and its state.
// The state is in the store as it changes (playbooks/journal.ts): runs, actions and
// blast-radius counts before a command goes out, an operator's enable/disable before
// the answer; a restart resumes from those rows.
import type { Logger } from 'pino';
import type { AuditLog } from './audit/log.ts';
import type { Commands } from './commands.ts';
import { NotFoundError } from './commands.ts';
import { asOperatorError, type PlaybookApi } from './operator-alerts.ts';
import type { Pipeline } from './pipeline/pipeline.ts';
import type { AlertSummary, AlertTransition } from './pipeline/stage-types.ts';
import {
  fleetView, parsePlaybook, PlaybookEngine, PlaybookSource, RUN_SEQ_COUNTER, snapshotFromRows, webhookNotifier,
  type EngineSnapshot, type FleetHost, type FleetView, type ManualPlan,
} from './playbooks/index.ts';
import type { Store } from './store/store.ts';
import type { CommandView__Output } from '../proto/wire.ts';

/** The old 15 s snapshot (before migration 4): read once, moved into rows, never written again. */
export const PLAYBOOK_STATE_KEY = 'playbooks';
/** Counted isolations are kept at least this long (longer than any sane blast-radius window). */
const ISOLATION_ROWS_MS = 24 * 3600_000;

export interface ContainmentOptions {
  dir: string;
  store: Store;
  commands: Commands;
  audit: AuditLog;
  pipeline: () => Pipeline;
  /** every host ever seen, with its granted tags and whether its agent is connected (the lead's registry) */
  hosts: () => ReadonlyMap<string, FleetHost>;
  /** the agent port, never blocked by a playbook */
  controllerPort: number;
  blastRadius?: { fraction?: number; maxHosts?: number; windowMs?: number };
  log: Logger;
  now: () => number;
  /** told the ids of runs whose rows were written (the dashboard's live updates); must be cheap */
  onRunsChanged?: (runIds: string[]) => void;
}

export class Containment implements PlaybookApi {
  private engine!: PlaybookEngine;
  private source!: PlaybookSource;
  private fleet!: FleetView;

  constructor(private readonly o: ContainmentOptions) {}

  async start(): Promise<void> {
    const { o } = this;
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
        persist: (j: Parameters<typeof o.store.writeRunJournal>[0]) => {
          const ids = new Set([...j.runs.map((r) => r.id), ...j.actions.map((a) => a.runId)]);
          if (ids.size) o.onRunsChanged?.([...ids]);
          return o.store.writeRunJournal(j);
        },
      },
    };
    const keepMs = Math.max(ISOLATION_ROWS_MS, o.blastRadius?.windowMs ?? 0);
    const [stored, seq, overrideRows] = await Promise.all([
      o.store.loadRuns(o.now() - keepMs), o.store.getCounter(RUN_SEQ_COUNTER), o.store.listPlaybookOverrides(),
    ]);
    const old = stored.runs.length === 0 && overrideRows.length === 0 ? await o.store.getState(PLAYBOOK_STATE_KEY) : undefined;
    const legacy = old && old !== 'null' ? old : undefined;
    try {
      if (legacy) {
        this.engine = PlaybookEngine.restore(JSON.parse(legacy), opts);
        await this.engine.journalAll();
        await o.store.putState(PLAYBOOK_STATE_KEY, 'null', o.now());
      } else {
        const snap = snapshotFromRows(stored, seq ?? 0, Object.fromEntries(overrideRows.map((r) => [r.name, r.enabled])));
        await reconcileIssuing(o.store, snap);
        this.engine = PlaybookEngine.restore(snap, opts);
        // restore's own corrections (a command that never went out is marked failed)
        await this.engine.flushJournal();
      }
    } catch (err) {
      o.log.error({ err }, 'stored playbook runs are unreadable; starting with no runs (see firebreak commands for what was sent)');
      this.engine = new PlaybookEngine(opts);
    }
    if (stored.runs.length > 0) o.log.info({ runs: stored.runs.length, isolationsCounted: stored.isolations.length }, 'playbook runs resumed from the store');
    this.fleet = fleetView(o.hosts, { alertHosts: (id) => o.pipeline().book.alertHosts(id) });
    this.source = new PlaybookSource({ dir: o.dir, log: o.log, onLoad: (r) => this.engine.setPlaybooks(r) });
    const loaded = this.source.reload();
    for (const e of loaded.errors) o.log.error(`playbook refused: ${e.file}:${e.line}: ${e.message}`);
    o.log.info({ dir: o.dir, playbooks: loaded.playbooks.map((p) => p.playbook.name) }, 'playbooks loaded');
    this.source.start();
    // what a crash (or a dead leader) left unsent in an active run goes out now, not at the alert's next change
    await this.engine.resume(this.fleet, (id) => o.pipeline().book.summary(id), o.now());
  }

  onTransition(t: AlertTransition): void {
    this.engine.onTransition(t, this.fleet, t.atMs).catch((err) => this.o.log.error({ err, alert: t.alert.id }, 'playbook run failed'));
  }

  tick(): void {
    this.engine.tick(this.o.now()).catch((err) => this.o.log.error({ err }, 'playbook tick failed'));
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

  /** Stored before the operator hears it is done; put back as it was when the store refuses. */
  async setEnabled(name: string, enabled: boolean, by: string): Promise<unknown> {
    const before = this.engine.override(name);
    // the engine audits the change itself (playbook.enable / playbook.disable)
    const status = this.guard(() => (enabled ? this.engine.enable(name, by) : this.engine.disable(name, by)));
    try {
      await this.o.store.putPlaybookOverride({ name, enabled, by, atMs: this.o.now() });
    } catch (err) {
      this.engine.restoreOverride(name, before);
      throw new Error(`playbook ${name} was not ${enabled ? 'enabled' : 'disabled'}: the store refused the change (${(err as Error).message}); check the controller's disk and retry`);
    }
    return status;
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

  // ---------------------------------------------------------------- by an operator's hand

  /** `firebreak contain --dry-run`: what the playbook would do for the alert now (a dry-run run, not kept). */
  containPreview(alertId: string, playbook: string | null, by: string): ManualPlan {
    return this.guard(() => this.engine.previewManual(this.alertSummary(alertId), this.fleet, playbook, by, this.o.now()));
  }

  /** `firebreak contain`: a manual run, when the plan still has the digest the operator confirmed. */
  async contain(alertId: string, playbook: string | null, by: string, digest: string): Promise<{ run: unknown; note: string | null }> {
    return this.guard(() => this.engine.startManual(this.alertSummary(alertId), this.fleet, playbook, by, this.o.now(), digest));
  }

  /** The blast radius now: isolations counted in its window (playbooks' and operators' by selector) and the limit. */
  isolationRoom(): { used: number; limit: number; windowMs: number; fleetSize: number } {
    const fleetSize = this.o.hosts().size;
    return { ...this.engine.blastRadius(fleetSize, this.o.now()), fleetSize };
  }

  /** Counts an operator's fleet isolation in the blast-radius window, stored before its commands go out. */
  countOperatorIsolations(by: string, n: number): Promise<void> {
    return this.engine.countOperatorIsolations(by, n, this.o.now());
  }

  private alertSummary(id: string): AlertSummary {
    const a = this.o.pipeline().book.summary(id);
    if (!a) throw new NotFoundError(`unknown alert '${id}' (list them with 'firebreak alerts')`);
    return a;
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      return asOperatorError(err);
    }
  }
}

/**
 * An action still 'issuing' when the controller stopped: its command may have been stored
 * (then sent) before the run's row said so. Find it by host, issuer, run id and kind, so the
 * run knows the command it owns (and lifts it) instead of calling it failed.
 */
export async function reconcileIssuing(store: Store, snap: EngineSnapshot): Promise<void> {
  const claimed = new Set<string>();
  // one read of every command since the oldest interrupted action, by host (a run cut short
  // across a fleet has thousands of them: a read per action took seconds on a new leader)
  const open = snap.runs.flatMap((r) => r.actions).filter((a) => a.hostId && (a.status === 'issuing' || a.lift?.status === 'issuing'));
  if (open.length === 0) return;
  const since = Math.min(...open.map((a) => (a.lift?.status === 'issuing' ? a.lift.atMs : a.atMs)));
  const byHost = new Map<string, CommandView__Output[]>();
  for (const v of await store.listCommands({ sinceMs: since, limit: 1_000_000 })) {
    const h = v.command!.targetAgentId;
    let list = byHost.get(h);
    if (!list) byHost.set(h, (list = []));
    list.push(v);
  }
  for (const r of snap.runs) {
    for (const a of r.actions) {
      const lift = a.lift?.status === 'issuing' ? a.lift : null;
      if ((a.status !== 'issuing' && !lift) || !a.hostId) continue;
      const want = lift
        ? (a.kind === 'isolate' ? 'RELEASE' : a.kind === 'throttle' ? 'UNTHROTTLE' : 'UNBLOCK')
        : (a.kind === 'isolate' ? 'ISOLATE' : a.kind === 'throttle' ? 'THROTTLE' : 'BLOCK');
      const since = lift ? lift.atMs : a.atMs;
      const found = (byHost.get(a.hostId) ?? []).find((v) => {
        const c = v.command!;
        if (claimed.has(c.id) || c.issuer !== `playbook:${r.playbook}` || c.action !== want || c.issuedAtMs < since || !c.reason.includes(r.id)) return false;
        if (want === 'BLOCK') return c.block?.block?.id === a.block?.id;
        if (want === 'UNBLOCK') return c.unblock?.blockId === a.block?.id;
        return true;
      });
      if (!found) continue;
      claimed.add(found.command!.id);
      if (lift) {
        lift.status = 'issued';
        lift.commandId = found.command!.id;
      } else {
        a.status = 'issued';
        a.commandId = found.command!.id;
      }
    }
  }
}

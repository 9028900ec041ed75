// The playbook engine: turns master-alert transitions into containment, through ports
// the controller injects (issue a command, append to the audit log, post a webhook).
//
// One run per (playbook, alert). A run starts on the first transition that matches the
// playbook's `when` (outside its cooldown) and acts on everything the alert holds then;
// later `updated`/`escalated` transitions act only on what is new (hosts that joined,
// hosts newly selected), so a growing worm is met host by host within a transition.
// `resolved` lifts what was tied to the alert (core posture, `expiry: alert`) and
// finishes the run. Planning is synchronous (state changes before the first await), so
// two transitions in quick succession never act twice on one host.
//
// Guards, in the order they are asked for each isolation: never-isolate tag → spared;
// a simultaneous alert without an explicit `classification: simultaneous` → skipped;
// already isolated by another active run → skipped; dry-run → recorded only; the
// blast radius (global and per playbook, see guards.ts) → held until approve().
// Blocks never include the controller's own port (see spareControllerPort).
//
// Wiring (controller side), in short:
//   const engine = new PlaybookEngine({ ports: { issue, audit, notify }, controller: { port, addresses }, env: process.env, log });
//   new PlaybookSource({ dir, onLoad: (r) => engine.setPlaybooks(r), log }).start();
//   pipeline.setActHook((t) => void engine.onTransition(t, fleetView, Date.now()));
//   setInterval(() => void engine.tick(Date.now()), 1000);
import type { Logger } from 'pino';
import type { IssueCommandRequest__Output, PortBlock__Output } from '../../proto/wire.ts';
import type { AlertSummary, AlertTransition } from '../pipeline/stage-types.ts';
import { blastLimit, DEFAULT_BLAST_RADIUS, describeLimit, SlidingCount, spareControllerPort, type BlastRadius } from './guards.ts';
import type { LoadedPlaybook, LoadResult, PlaybookIssue } from './loader.ts';
import {
  dominantPort,
  isCore,
  isNeverIsolate,
  isolateTargets,
  NEVER_ISOLATE_TAG,
  selectHosts,
  whenMatches,
  type AlertHost,
  type FleetView,
} from './match.ts';
import { redact } from './notify.ts';
import { expandUrl, formatDuration, httpUrl, type BlockSetEntry, type Playbook, type PlaybookStep, type PortRange } from './schema.ts';

import type {
  ActionKind, ActionLift, ActionStatus, EngineSnapshot, PlaybookEngineOptions, PlaybookPorts, PlaybookRun, PlaybookStatus, RunAction, RunSummary,
} from './records.ts';
export type {
  ActionKind, ActionLift, ActionStatus, EngineSnapshot, PlaybookEngineOptions, PlaybookPorts, PlaybookRun, PlaybookStatus, RunAction, RunSummary,
} from './records.ts';

export class PlaybookError extends Error {
  override name = 'PlaybookError';
}

interface Op {
  run: PlaybookRun;
  action: RunAction;
  go: () => Promise<void>;
}

/** A record made while planning (an action, or the lift of one), audited after the ops ran. */
interface Planned {
  run: PlaybookRun;
  action: RunAction;
  lift: boolean;
}

const ISSUE_VERB: Record<ActionKind, string> = {
  isolate: 'playbook.isolate',
  block: 'playbook.block',
  raise_core_posture: 'playbook.core-posture',
  notify: 'playbook.notify',
};

const clip = (s: string, n = 512) => s.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, n);

export class PlaybookEngine {
  private readonly ports: PlaybookPorts;
  private readonly log: Logger | undefined;
  private readonly radius: BlastRadius;
  private readonly env: Readonly<Record<string, string | undefined>>;
  private readonly concurrency: number;
  private readonly maxFinished: number;

  private playbooks = new Map<string, LoadedPlaybook>();
  private loadErrors: PlaybookIssue[] = [];
  private overrides = new Map<string, boolean>();
  private runs = new Map<string, PlaybookRun>();
  /** `${playbook}\0${alertId}` → the newest run of that pair. */
  private latest = new Map<string, string>();
  /** hostId → the active run that isolated it. */
  private isolatedBy = new Map<string, string>();
  private globalWindow = new SlidingCount();
  private byPlaybook = new Map<string, SlidingCount>();
  private seq = 0;
  /** Actions with an expiry not yet lifted: tick() looks only at these. */
  private expiring = new Set<[PlaybookRun, RunAction]>();
  /** Records of the planning pass in progress (planning is synchronous, so one list will do). */
  private planned: Planned[] = [];

  constructor(private readonly opts: PlaybookEngineOptions) {
    this.ports = opts.ports;
    this.log = opts.log;
    this.radius = { ...DEFAULT_BLAST_RADIUS, ...opts.blastRadius };
    this.env = opts.env ?? process.env;
    this.concurrency = Math.max(1, opts.concurrency ?? 16);
    this.maxFinished = opts.maxFinishedRuns ?? 1000;
  }

  // ------------------------------------------------------------ playbooks

  /** Replaces the playbook set (PlaybookSource's onLoad). Running runs keep their definition. */
  setPlaybooks(result: LoadResult): void {
    this.playbooks = new Map(result.playbooks.map((p) => [p.playbook.name, p]));
    this.loadErrors = [...result.errors];
  }

  list(): PlaybookStatus[] {
    const active = new Map<string, number>();
    for (const r of this.runs.values()) if (r.status === 'active') active.set(r.playbook, (active.get(r.playbook) ?? 0) + 1);
    return [...this.playbooks.values()].map((p) => ({
      name: p.playbook.name,
      file: p.file,
      description: p.playbook.description,
      enabled: this.isEnabled(p.playbook),
      enabledInFile: p.playbook.enabled,
      override: this.overrides.get(p.playbook.name) ?? null,
      mode: p.playbook.mode,
      activeRuns: active.get(p.playbook.name) ?? 0,
      loadedAtMs: p.loadedAtMs,
      staleErrors: p.stale,
    }));
  }

  /** Files refused at the last load (file, line, reason). */
  errors(): PlaybookIssue[] {
    return [...this.loadErrors];
  }

  /** Operator override, kept across reloads (and in toJSON) until changed again. */
  enable(name: string, by = 'operator'): PlaybookStatus {
    return this.setEnabled(name, true, by);
  }

  disable(name: string, by = 'operator'): PlaybookStatus {
    return this.setEnabled(name, false, by);
  }

  private setEnabled(name: string, on: boolean, by: string): PlaybookStatus {
    if (!this.playbooks.has(name)) {
      throw new PlaybookError(`unknown playbook '${name}' (list them with 'firebreak playbooks list')`);
    }
    this.overrides.set(name, on);
    this.audit(by, on ? 'playbook.enable' : 'playbook.disable', name, { playbook: name });
    return this.list().find((p) => p.name === name)!;
  }

  private isEnabled(pb: Playbook): boolean {
    return this.overrides.get(pb.name) ?? pb.enabled;
  }

  // ------------------------------------------------------------ transitions

  /**
   * Acts on one alert transition. Plans synchronously, then executes through the ports;
   * the promise resolves with the runs it touched once every port call has answered.
   */
  onTransition(t: AlertTransition, fleet: FleetView, now: number): Promise<PlaybookRun[]> {
    const ops: Op[] = [];
    const touched = new Set<PlaybookRun>();
    const created: PlaybookRun[] = [];
    if (t.type === 'resolved') {
      this.onResolved(t, now, ops, touched);
    } else if (t.type !== 'acknowledged') {
      for (const lp of this.playbooks.values()) {
        const pb = lp.playbook;
        const key = `${pb.name}\0${t.alert.id}`;
        const last = this.runs.get(this.latest.get(key) ?? '');
        if (last?.status === 'active') {
          // a disabled playbook stops acting; its alert-tied actions are still lifted on resolve
          if (!this.isEnabled(pb)) continue;
          this.plan(last, t, fleet, now, ops);
          touched.add(last);
          continue;
        }
        if (!this.isEnabled(pb)) continue;
        const verdict = whenMatches(pb, t.alert, fleet);
        if (!verdict.match) continue;
        if (last && now - last.startedAtMs < pb.cooldown) {
          last.cooldownSkips++;
          continue;
        }
        const run = this.startRun(lp, t, verdict.signatures, now);
        created.push(run);
        this.plan(run, t, fleet, now, ops);
        touched.add(run);
      }
      // runs of playbooks no longer loaded still follow their alert
      for (const run of this.activeRunsOf(t.alert.id)) {
        if (!touched.has(run) && !this.playbooks.has(run.playbook)) {
          this.plan(run, t, fleet, now, ops);
          touched.add(run);
        }
      }
    }
    for (const run of created) {
      this.audit(`playbook:${run.playbook}`, 'playbook.run.start', run.alertId, {
        runId: run.id, playbook: run.playbook, mode: run.mode, trigger: run.trigger, alert: run.alert, port: run.port,
      });
    }
    this.prune();
    return this.execute(ops).then(() => [...touched]);
  }

  private activeRunsOf(alertId: string): PlaybookRun[] {
    const out: PlaybookRun[] = [];
    for (const r of this.runs.values()) if (r.status === 'active' && r.alertId === alertId) out.push(r);
    return out;
  }

  private startRun(lp: LoadedPlaybook, t: AlertTransition, matched: string[], now: number): PlaybookRun {
    const pb = lp.playbook;
    const run: PlaybookRun = {
      id: `run-${now.toString(36)}-${++this.seq}`,
      playbook: pb.name,
      file: lp.file,
      mode: pb.mode,
      alertId: t.alert.id,
      alertIds: [t.alert.id],
      trigger: t.type,
      status: 'active',
      startedAtMs: now,
      updatedAtMs: now,
      finishedAtMs: null,
      finishReason: null,
      alert: {
        rootCause: t.alert.rootCause,
        classification: t.alert.classification,
        severity: t.alert.severity,
        hostCount: t.alert.hostCount,
        matched,
      },
      port: dominantPort(t.alert, matched),
      approvedBy: null,
      approvedAtMs: null,
      cooldownSkips: 0,
      actions: [],
      definition: pb,
      handled: {},
      inherited: [],
      dryIsolations: 0,
    };
    this.runs.set(run.id, run);
    this.latest.set(`${pb.name}\0${t.alert.id}`, run.id);
    this.log?.info({ run: run.id, playbook: pb.name, alert: t.alert.id, mode: pb.mode, rootCause: t.alert.rootCause }, 'playbook run started');
    return run;
  }

  // ------------------------------------------------------------ planning

  private handledSet(run: PlaybookRun, step: number): { has(k: string): boolean; add(k: string): void } {
    const list = (run.handled[step] ??= []);
    // a Set per call would be O(n) to build; the lists are scanned through a cached Set
    let set = this.handledCache.get(list);
    if (!set) {
      set = new Set(list);
      this.handledCache.set(list, set);
    }
    const s = set;
    return { has: (k) => s.has(k), add: (k) => { if (!s.has(k)) { s.add(k); list.push(k); } } };
  }

  private handledCache = new WeakMap<string[], Set<string>>();

  private record(run: PlaybookRun, step: number, kind: ActionKind, hostId: string | null, status: ActionStatus, reason: string, now: number, extra: Partial<RunAction> = {}): RunAction {
    const a: RunAction = {
      seq: run.actions.length,
      step,
      kind,
      hostId,
      status,
      reason,
      atMs: now,
      commandId: null,
      block: null,
      expiresAtMs: null,
      liftOnResolve: false,
      lift: null,
      approvedBy: null,
      notify: null,
      ...extra,
    };
    run.actions.push(a);
    run.updatedAtMs = now;
    this.planned.push({ run, action: a, lift: false });
    if (a.expiresAtMs !== null) this.expiring.add([run, a]);
    return a;
  }

  private plan(run: PlaybookRun, t: AlertTransition, fleet: FleetView, now: number, ops: Op[]): void {
    const members = new Map<string, AlertHost>();
    for (const h of fleet.alertHosts(t.alert.id)) members.set(h.hostId, h);
    for (const id of t.newHosts) if (!members.has(id)) members.set(id, { hostId: id, signatures: [] });
    const inAlert = new Set(members.keys());
    run.definition.do.forEach((step, i) => {
      switch (step.kind) {
        case 'isolate':
          this.planIsolate(run, step, i, t.alert, [...members.values()], fleet, now, ops);
          break;
        case 'block': {
          const hosts = selectHosts(step.hosts, fleet, inAlert).map((h) => h.id);
          this.planBlocks(run, i, 'block', [{ spec: step, entry: null }], hosts, step.expiry, now, ops);
          break;
        }
        case 'raise_core_posture': {
          const hosts: string[] = [];
          for (const h of fleet.hosts()) if (isCore(h)) hosts.push(h.id);
          this.planBlocks(run, i, 'raise_core_posture', step.blocks.map((spec, j) => ({ spec, entry: j })), hosts, step.expiry, now, ops);
          break;
        }
        case 'notify':
          this.planNotify(run, step, i, t, now, ops);
          break;
      }
    });
  }

  private planIsolate(
    run: PlaybookRun, step: Extract<PlaybookStep, { kind: 'isolate' }>, i: number, alert: AlertSummary,
    members: AlertHost[], fleet: FleetView, now: number, ops: Op[],
  ): void {
    const handled = this.handledSet(run, i);
    if (alert.classification === 'simultaneous' && run.definition.when.classification !== 'simultaneous') {
      // a backup or a roll-out looks like this: isolation needs the playbook to ask for it by name
      if (!handled.has('*simultaneous')) {
        handled.add('*simultaneous');
        this.record(run, i, 'isolate', null, 'skipped', 'the alert is simultaneous (many hosts at once, like a backup or a roll-out): a playbook isolates for it only with when.classification: simultaneous', now);
      }
      return;
    }
    const pb = run.definition;
    for (const hostId of isolateTargets(members, step.showing, run.alert.matched)) {
      if (handled.has(hostId)) continue;
      handled.add(hostId);
      const expiry = step.expiry;
      const extra: Partial<RunAction> = {
        expiresAtMs: typeof expiry === 'number' ? now + expiry : null,
        liftOnResolve: expiry === 'alert',
      };
      if (isNeverIsolate(fleet.host(hostId))) {
        this.record(run, i, 'isolate', hostId, 'spared', `the host is tagged ${NEVER_ISOLATE_TAG}: playbooks never isolate it`, now);
        continue;
      }
      const other = this.isolatedBy.get(hostId);
      if (other && other !== run.id) {
        this.record(run, i, 'isolate', hostId, 'skipped', `already isolated by run ${other}`, now);
        continue;
      }
      const guard = run.approvedBy ? null : this.blastGuard(pb, fleet.size(), now, run.mode === 'dry-run' ? run.dryIsolations : 0);
      if (run.mode === 'dry-run') {
        run.dryIsolations++;
        this.record(run, i, 'isolate', hostId, 'dry-run', guard ? `would be held: ${guard}` : 'would isolate', now, extra);
        continue;
      }
      if (guard) {
        this.record(run, i, 'isolate', hostId, 'held', guard, now, extra);
        continue;
      }
      if (!run.approvedBy) this.countIsolation(pb.name, now);
      const a = this.record(run, i, 'isolate', hostId, 'issuing', run.approvedBy ? `isolated (${run.approvedBy} approved this run)` : 'isolated', now, extra);
      a.approvedBy = run.approvedBy;
      ops.push(this.isolateOp(run, a, step.allow ?? []));
    }
  }

  /** Why the blast radius holds one more automatic isolation, or null when there is room. */
  private blastGuard(pb: Playbook, fleetSize: number, now: number, extra: number): string | null {
    const g = this.globalWindow.count(now, this.radius.windowMs) + extra;
    const gl = blastLimit(this.radius, fleetSize);
    if (g >= gl) {
      return `blast radius: ${g} automatic isolations by playbooks in the last ${formatDuration(this.radius.windowMs)}, the global limit is ${describeLimit(this.radius, fleetSize)}; approve with 'firebreak approve <run>'`;
    }
    const pr: BlastRadius = {
      fraction: pb.guards.max_isolations_percent !== undefined ? pb.guards.max_isolations_percent / 100 : this.radius.fraction,
      maxHosts: pb.guards.max_isolations ?? this.radius.maxHosts,
      windowMs: pb.guards.window ?? this.radius.windowMs,
    };
    const p = (this.byPlaybook.get(pb.name)?.count(now, pr.windowMs) ?? 0) + extra;
    // max_isolations: 0 means every isolation waits for a person
    const pl = pr.maxHosts === 0 ? 0 : blastLimit(pr, fleetSize);
    if (p >= pl) {
      return `blast radius: ${p} automatic isolations by playbook ${pb.name} in the last ${formatDuration(pr.windowMs)}, its limit is ${pl === 0 ? '0 (max_isolations: 0)' : describeLimit(pr, fleetSize)}; approve with 'firebreak approve <run>'`;
    }
    return null;
  }

  private countIsolation(playbook: string, now: number): void {
    this.globalWindow.add(now);
    let w = this.byPlaybook.get(playbook);
    if (!w) this.byPlaybook.set(playbook, (w = new SlidingCount()));
    w.add(now);
  }

  private isolateOp(run: PlaybookRun, a: RunAction, allow: string[]): Op {
    const hostId = a.hostId!;
    this.isolatedBy.set(hostId, run.id);
    const req: IssueCommandRequest__Output = {
      hostId,
      action: 'ISOLATE',
      isolate: { allowlist: allow.map((cidr) => ({ cidr, protocol: 'PROTOCOL_UNSPECIFIED', ports: null })) },
      params: 'isolate',
      reason: this.reasonText(run),
      ttlS: 0,
    };
    return this.issueOp(run, a, req, () => {
      if (this.isolatedBy.get(hostId) === run.id) this.isolatedBy.delete(hostId);
    });
  }

  private reasonText(run: PlaybookRun): string {
    return clip(`playbook ${run.playbook} run ${run.id}: alert ${run.alertIds[0]} ${run.alert.rootCause}`);
  }

  private issueOp(run: PlaybookRun, a: RunAction, req: IssueCommandRequest__Output, onFail?: () => void): Op {
    return {
      run,
      action: a,
      go: async () => {
        try {
          const { commandId } = await this.ports.issue(req.hostId, req, `playbook:${run.playbook}`);
          a.commandId = commandId;
          a.status = 'issued';
        } catch (err) {
          a.status = 'failed';
          a.reason = clip(`the command was refused: ${(err as Error).message}`);
          onFail?.();
          this.log?.warn({ run: run.id, host: req.hostId, action: req.action, err: (err as Error).message }, 'playbook command refused');
        }
      },
    };
  }

  private planBlocks(
    run: PlaybookRun, i: number, kind: 'block' | 'raise_core_posture', entries: Array<{ spec: BlockSetEntry; entry: number | null }>,
    hosts: string[], expiry: number | 'alert' | undefined, now: number, ops: Op[],
  ): void {
    const handled = this.handledSet(run, i);
    const blocks: PortBlock__Output[] = [];
    for (const { spec, entry } of entries) {
      const marker = `*skip${entry ?? ''}`;
      const b = this.resolveBlock(run, spec, `fb-${run.id}-s${i}${entry === null ? '' : `b${entry}`}`, expiry, now);
      if (typeof b === 'string') {
        if (!handled.has(marker)) {
          handled.add(marker);
          this.record(run, i, kind, null, 'skipped', b, now);
        }
        continue;
      }
      blocks.push(b);
    }
    if (blocks.length === 0) return;
    for (const hostId of hosts) {
      if (handled.has(hostId)) continue;
      handled.add(hostId);
      for (const block of blocks) {
        const extra: Partial<RunAction> = {
          block,
          expiresAtMs: block.expiresAtMs || null,
          liftOnResolve: expiry === 'alert',
        };
        const what = `${block.direction.toLowerCase()} ${block.protocol.toLowerCase()} ${block.ports.map((r) => (r.from === r.to ? r.from : `${r.from}-${r.to}`)).join(',')}`;
        if (run.mode === 'dry-run') {
          this.record(run, i, kind, hostId, 'dry-run', `would block ${what}`, now, extra);
          continue;
        }
        const a = this.record(run, i, kind, hostId, 'issuing', `blocked ${what}`, now, extra);
        ops.push(this.issueOp(run, a, {
          hostId, action: 'BLOCK', block: { block, force: false }, params: 'block', reason: this.reasonText(run), ttlS: 0,
        }));
      }
    }
  }

  /** The wire block for a spec, or why it cannot be sent. */
  private resolveBlock(run: PlaybookRun, spec: BlockSetEntry, id: string, expiry: number | 'alert' | undefined, now: number): PortBlock__Output | string {
    const usesPort = spec.ports.includes('$port');
    if (usesPort && !run.port) {
      return "the block uses $port but the alert names no port (no tcp:N/udp:N signature or remote port in its evidence)";
    }
    const ranges = mergeRanges(spec.ports.map((p) => (p === '$port' ? { from: run.port!.port, to: run.port!.port } : p)));
    const protocol = spec.protocol ?? (usesPort ? run.port!.protocol : 'tcp');
    const spared = spareControllerPort(ranges, { protocol, direction: spec.direction, remote: spec.remote }, this.opts.controller);
    if (spared.ports.length === 0) {
      return `not planned: the block would cut the agents' link to the controller (tcp/${this.opts.controller!.port})`;
    }
    return {
      id,
      direction: spec.direction.toUpperCase() as 'IN' | 'OUT' | 'BOTH',
      protocol: protocol.toUpperCase() as 'TCP' | 'UDP',
      ports: spared.ports,
      remoteCidrs: spec.remote?.cidrs ?? [],
      remoteInternet: spec.remote?.internet ?? false,
      expiresAtMs: typeof expiry === 'number' ? now + expiry : 0,
    };
  }

  private planNotify(run: PlaybookRun, step: Extract<PlaybookStep, { kind: 'notify' }>, i: number, t: AlertTransition, now: number, ops: Op[]): void {
    const handled = this.handledSet(run, i);
    if (handled.has('*')) return;
    handled.add('*');
    const { url, missing } = expandUrl(step.url, this.env);
    if (missing.length > 0) {
      this.record(run, i, 'notify', null, 'skipped', `the notify URL needs ${missing.map((m) => `\${${m}}`).join(', ')}, which is not set in the controller's environment; set it to get webhooks`, now);
      return;
    }
    if (!httpUrl(url)) {
      this.record(run, i, 'notify', null, 'skipped', `the notify URL ${JSON.stringify(redact(url))} (after expanding placeholders) is not an http(s) URL`, now);
      return;
    }
    const body = {
      source: 'firebreak',
      kind: 'playbook-run',
      playbook: run.playbook,
      runId: run.id,
      mode: run.mode,
      transition: t.type,
      atMs: now,
      alert: t.alert,
    };
    const note = { url: redact(url), attempts: 0, httpStatus: null, delaysMs: [] as number[] };
    if (run.mode === 'dry-run') {
      this.record(run, i, 'notify', null, 'dry-run', `would notify ${note.url}`, now, { notify: note });
      return;
    }
    const a = this.record(run, i, 'notify', null, 'issuing', `notifying ${note.url}`, now, { notify: note });
    ops.push({
      run,
      action: a,
      go: async () => {
        try {
          const r = await this.ports.notify(url, body, { attempts: step.attempts, timeoutMs: step.timeout });
          a.notify = { url: note.url, attempts: r.attempts, httpStatus: r.status, delaysMs: r.delaysMs };
          a.status = r.ok ? 'issued' : 'failed';
          a.reason = r.ok ? `notified ${note.url} (HTTP ${r.status}, ${r.attempts} attempt${r.attempts === 1 ? '' : 's'})` : clip(r.error ?? 'the webhook failed');
        } catch (err) {
          a.status = 'failed';
          a.reason = clip(`notify failed: ${(err as Error).message}`);
        }
      },
    });
  }

  // ------------------------------------------------------------ resolve, expiry, approval

  private onResolved(t: AlertTransition, now: number, ops: Op[], touched: Set<PlaybookRun>): void {
    const target = t.alert.resolvedReason === 'merged' ? t.alert.mergedInto : null;
    for (const run of this.activeRunsOf(t.alert.id)) {
      touched.add(run);
      if (target) {
        // the incident goes on under another id: the run follows it, or hands its lifts over
        const key = `${run.playbook}\0${target}`;
        const there = this.runs.get(this.latest.get(key) ?? '');
        if (there?.status === 'active' && there !== run) {
          for (const a of run.actions) if (a.liftOnResolve && !a.lift) there.inherited.push([run.id, a.seq]);
          there.inherited.push(...run.inherited);
          this.finish(run, now, `alert merged into ${target}; its alert-tied actions are lifted when run ${there.id} finishes`, ops, false);
        } else {
          run.alertId = target;
          run.alertIds.push(target);
          this.latest.set(key, run.id);
          run.updatedAtMs = now;
          this.audit(`playbook:${run.playbook}`, 'playbook.run.follow', target, { runId: run.id, from: t.alert.id });
        }
        continue;
      }
      this.finish(run, now, `alert resolved (${t.alert.resolvedReason ?? 'resolved'})`, ops, true);
    }
  }

  private finish(run: PlaybookRun, now: number, reason: string, ops: Op[], lift: boolean): void {
    if (lift) {
      const refs: Array<[PlaybookRun, RunAction]> = run.actions.filter((a) => a.liftOnResolve && !a.lift).map((a) => [run, a]);
      for (const [rid, seq] of run.inherited) {
        const r = this.runs.get(rid);
        const a = r?.actions[seq];
        if (r && a && !a.lift) refs.push([r, a]);
      }
      for (const [r, a] of refs) this.planLift(r, a, now, 'the alert resolved', ops);
    }
    for (const a of run.actions) {
      if (a.status === 'held') {
        a.status = 'cancelled';
        a.reason = `${a.reason} — cancelled: the run finished before an operator approved`;
      }
    }
    for (const [host, rid] of this.isolatedBy) if (rid === run.id) this.isolatedBy.delete(host);
    run.status = 'finished';
    run.finishedAtMs = now;
    run.finishReason = reason;
    run.updatedAtMs = now;
    this.audit(`playbook:${run.playbook}`, 'playbook.run.finish', run.alertIds[0]!, { runId: run.id, reason, counts: countStatuses(run) });
  }

  private planLift(run: PlaybookRun, a: RunAction, now: number, why: string, ops: Op[]): void {
    if (a.status === 'dry-run') {
      a.lift = { atMs: now, status: 'dry-run', commandId: null, reason: `would lift: ${why}` };
      this.planned.push({ run, action: a, lift: true });
      return;
    }
    if (a.status !== 'issued' && a.status !== 'issuing') return;
    const hostId = a.hostId!;
    const lift: ActionLift = { atMs: now, status: 'issuing', commandId: null, reason: why };
    a.lift = lift;
    this.planned.push({ run, action: a, lift: true });
    const req: IssueCommandRequest__Output = a.kind === 'isolate'
      ? { hostId, action: 'RELEASE', params: undefined, reason: clip(`${this.reasonText(run)}: ${why}`), ttlS: 0 }
      : { hostId, action: 'UNBLOCK', unblock: { blockId: a.block!.id }, params: 'unblock', reason: clip(`${this.reasonText(run)}: ${why}`), ttlS: 0 };
    if (a.kind === 'isolate' && this.isolatedBy.get(hostId) === run.id) this.isolatedBy.delete(hostId);
    ops.push({
      run,
      action: a,
      go: async () => {
        try {
          const { commandId } = await this.ports.issue(hostId, req, `playbook:${run.playbook}`);
          lift.commandId = commandId;
          lift.status = 'issued';
        } catch (err) {
          lift.status = 'failed';
          lift.reason = clip(`${why}; the lift was refused: ${(err as Error).message}`);
        }
      },
    });
  }

  /**
   * Periodic work (about once a second): isolations whose expiry passed are released;
   * blocks whose expiry passed are marked lifted (the agent removes them itself).
   */
  tick(now: number): Promise<void> {
    const ops: Op[] = [];
    for (const entry of this.expiring) {
      const [run, a] = entry;
      if (a.lift || (a.status !== 'issued' && a.status !== 'dry-run' && a.status !== 'issuing' && a.status !== 'held')) {
        this.expiring.delete(entry);
        continue;
      }
      if (a.expiresAtMs! > now || a.status === 'issuing') continue;
      if (a.status === 'held') {
        // nobody approved it before it would have ended anyway
        a.status = 'cancelled';
        a.reason = `${a.reason} — cancelled: its expiry passed before an operator approved`;
        this.expiring.delete(entry);
        continue;
      }
      this.expiring.delete(entry);
      if (a.kind === 'isolate') {
        this.planLift(run, a, now, `expiry ${new Date(a.expiresAtMs!).toISOString()} passed`, ops);
      } else {
        a.lift = { atMs: now, status: a.status === 'dry-run' ? 'dry-run' : 'expired', commandId: null, reason: 'expired; the agent lifts the block itself' };
        this.planned.push({ run, action: a, lift: true });
      }
    }
    return this.execute(ops);
  }

  /** Executes the actions a guard held on a run, as `by`; later isolations of the run skip the blast radius. */
  approve(runId: string, by: string, now: number): Promise<PlaybookRun> {
    const run = this.runs.get(runId);
    if (!run) throw new PlaybookError(`unknown run '${runId}' (list them with 'firebreak runs')`);
    const held = run.actions.filter((a) => a.status === 'held');
    if (held.length === 0) {
      throw new PlaybookError(`run ${runId} holds nothing to approve (${run.status === 'finished' ? 'it finished' : 'no guard held an action'}); see 'firebreak run ${runId}'`);
    }
    run.approvedBy = by;
    run.approvedAtMs = now;
    const ops: Op[] = [];
    for (const a of held) {
      a.approvedBy = by;
      a.atMs = now;
      if (a.kind !== 'isolate' || !a.hostId) continue;
      const other = this.isolatedBy.get(a.hostId);
      if (other && other !== run.id) {
        a.status = 'skipped';
        a.reason = `approved by ${by}, but already isolated by run ${other}`;
        continue;
      }
      a.status = 'issuing';
      a.reason = `isolated: approved by ${by} (was held: ${a.reason})`;
      const step = run.definition.do[a.step];
      ops.push(this.isolateOp(run, a, step?.kind === 'isolate' ? step.allow ?? [] : []));
    }
    run.updatedAtMs = now;
    this.audit(by, 'playbook.approve', run.alertIds[0]!, { runId, playbook: run.playbook, hosts: held.map((a) => a.hostId) });
    for (const op of ops) this.planned.push({ run, action: op.action, lift: false });
    return this.execute(ops).then(() => structuredClone(run));
  }

  // ------------------------------------------------------------ execution

  /** Runs the ops (bounded concurrency), then audits them with the planning records of the same pass. */
  private execute(ops: Op[]): Promise<void> {
    const planned = this.planned;
    this.planned = [];
    if (ops.length === 0) {
      this.auditBatch(planned);
      return Promise.resolve();
    }
    let next = 0;
    const worker = async () => {
      while (next < ops.length) {
        const op = ops[next++]!;
        await op.go();
      }
    };
    return Promise.all(Array.from({ length: Math.min(this.concurrency, ops.length) }, worker)).then(() => this.auditBatch(planned));
  }

  /**
   * One audit entry per run, step and outcome of a batch (a worm on 5,000 hosts makes a
   * handful of entries, each listing its hosts), including the held/spared/dry-run/skipped
   * records made while planning, which had no op of their own.
   */
  private auditBatch(entries: Planned[]): void {
    const groups = new Map<string, { run: PlaybookRun; a: RunAction; lift: boolean; hosts: string[]; commands: string[]; reasons: Set<string> }>();
    for (const { run, action: a, lift } of entries) {
      const status = lift ? a.lift!.status : a.status;
      const key = `${run.id}|${a.step}|${lift}|${status}|${a.approvedBy ?? ''}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { run, a, lift, hosts: [], commands: [], reasons: new Set() }));
      if (a.hostId) g.hosts.push(a.hostId);
      const cmd = lift ? a.lift!.commandId : a.commandId;
      if (cmd) g.commands.push(cmd);
      if (g.reasons.size < 5) g.reasons.add(lift ? a.lift!.reason : a.reason);
    }
    for (const g of groups.values()) {
      const status = g.lift ? g.a.lift!.status : g.a.status;
      const actor = g.a.approvedBy && !g.lift ? g.a.approvedBy : `playbook:${g.run.playbook}`;
      this.audit(actor, g.lift ? 'playbook.lift' : ISSUE_VERB[g.a.kind], g.run.alertIds[0]!, {
        runId: g.run.id, playbook: g.run.playbook, alertId: g.run.alertId, step: g.a.step, kind: g.a.kind, status,
        hosts: g.hosts, commands: g.commands, reasons: [...g.reasons], block: g.lift ? null : g.a.block,
      });
    }
  }

  private audit(actor: string, action: string, target: string, detail: unknown): void {
    try {
      const r = this.ports.audit(actor, action, target, detail);
      if (r && typeof (r as Promise<unknown>).catch === 'function') {
        (r as Promise<unknown>).catch((err) => this.log?.error({ err, action, target }, 'audit append failed for a playbook action'));
      }
    } catch (err) {
      this.log?.error({ err, action, target }, 'audit append failed for a playbook action');
    }
  }

  // ------------------------------------------------------------ views

  listRuns(filter: { playbook?: string; alertId?: string; status?: 'active' | 'finished'; limit?: number } = {}): RunSummary[] {
    const out: RunSummary[] = [];
    for (const r of this.runs.values()) {
      if (filter.playbook && r.playbook !== filter.playbook) continue;
      if (filter.alertId && !r.alertIds.includes(filter.alertId)) continue;
      if (filter.status && r.status !== filter.status) continue;
      out.push({
        id: r.id,
        playbook: r.playbook,
        mode: r.mode,
        alertId: r.alertIds[0]!,
        status: r.status,
        startedAtMs: r.startedAtMs,
        finishedAtMs: r.finishedAtMs,
        rootCause: r.alert.rootCause,
        counts: countStatuses(r),
        heldReason: r.actions.find((a) => a.status === 'held')?.reason ?? null,
        approvedBy: r.approvedBy,
      });
    }
    out.sort((a, b) => Number(a.status === 'finished') - Number(b.status === 'finished') || b.startedAtMs - a.startedAtMs);
    return filter.limit ? out.slice(0, filter.limit) : out;
  }

  /** A copy: what `firebreak run <id>` shows. */
  getRun(id: string): PlaybookRun | undefined {
    const r = this.runs.get(id);
    return r ? structuredClone(r) : undefined;
  }

  /** Automatic isolations counted in the current window, and the limit, for status pages. */
  blastRadius(fleetSize: number, now: number): { used: number; limit: number; windowMs: number } {
    return { used: this.globalWindow.count(now, this.radius.windowMs), limit: blastLimit(this.radius, fleetSize), windowMs: this.radius.windowMs };
  }

  private prune(): void {
    let finished = 0;
    for (const r of this.runs.values()) if (r.status === 'finished') finished++;
    if (finished <= this.maxFinished) return;
    for (const [id, r] of this.runs) {
      if (finished <= this.maxFinished) break;
      if (r.status !== 'finished' || r.inherited.length > 0) continue;
      // a finished run whose alert-tied actions another run will lift must stay
      const needed = [...this.runs.values()].some((o) => o.status === 'active' && o.inherited.some(([rid]) => rid === id));
      if (needed) continue;
      this.runs.delete(id);
      finished--;
    }
  }

  // ------------------------------------------------------------ persistence

  /** Plain JSON: persist it as text; restore with PlaybookEngine.restore. */
  toJSON(): EngineSnapshot {
    const byPlaybook: Record<string, number[]> = {};
    for (const [k, w] of this.byPlaybook) byPlaybook[k] = w.toJSON();
    return {
      version: 1,
      seq: this.seq,
      runs: [...this.runs.values()].map((r) => structuredClone(r)),
      overrides: Object.fromEntries(this.overrides),
      isolations: { global: this.globalWindow.toJSON(), byPlaybook },
    };
  }

  static restore(snapshot: unknown, opts: PlaybookEngineOptions): PlaybookEngine {
    const s = snapshot as EngineSnapshot | null;
    if (!s || s.version !== 1 || !Array.isArray(s.runs)) {
      throw new PlaybookError('playbook engine snapshot is missing or of an unknown version; start the engine empty (runs are history, alerts start new runs)');
    }
    const e = new PlaybookEngine(opts);
    e.seq = s.seq;
    e.overrides = new Map(Object.entries(s.overrides ?? {}));
    e.globalWindow = new SlidingCount([...(s.isolations?.global ?? [])]);
    for (const [k, v] of Object.entries(s.isolations?.byPlaybook ?? {})) e.byPlaybook.set(k, new SlidingCount([...v]));
    for (const raw of s.runs) {
      const r = structuredClone(raw);
      for (const a of r.actions) {
        // the answer never came back before the snapshot: say so rather than guess
        if (a.status === 'issuing') {
          a.status = 'failed';
          a.reason = `${a.reason}: the controller stopped before the command was confirmed; check 'firebreak commands --host ${a.hostId ?? ''}'`;
        }
        if (a.lift?.status === 'issuing') a.lift.status = 'failed';
      }
      e.runs.set(r.id, r);
      for (const a of r.actions) if (a.expiresAtMs !== null && !a.lift) e.expiring.add([r, a]);
      for (const id of r.alertIds) e.latest.set(`${r.playbook}\0${id}`, r.id);
      if (r.status === 'active') {
        for (const a of r.actions) if (a.kind === 'isolate' && a.status === 'issued' && !a.lift && a.hostId) e.isolatedBy.set(a.hostId, r.id);
      }
    }
    return e;
  }
}

/** Sorted, overlapping or adjacent ranges joined ($port often repeats a listed port). */
function mergeRanges(ranges: PortRange[]): PortRange[] {
  const out: PortRange[] = [];
  for (const r of [...ranges].sort((a, b) => a.from - b.from)) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
    else out.push({ ...r });
  }
  return out;
}

export function countStatuses(run: PlaybookRun): Partial<Record<ActionStatus, number>> {
  const out: Partial<Record<ActionStatus, number>> = {};
  for (const a of run.actions) out[a.status] = (out[a.status] ?? 0) + 1;
  return out;
}

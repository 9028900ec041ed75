// The lead: correlation (the pipeline, its snapshot, the fleet it counts) and the
// playbooks that act on its alerts, with the event retention that must spare the
// open incident. A controller on its own leads from its start; in a cluster only
// the elected controller does (controller/cluster/), reading what every controller
// stored from the correlation feed, and a deposed one stops at once.
import type { Logger } from 'pino';
import { Containment } from './containment.ts';
import type { FleetHost } from './playbooks/index.ts';
import type { Cluster } from './cluster/cluster.ts';
import type { FeedItem } from './cluster/feed.ts';
import type { Commands } from './commands.ts';
import type { AuditLog } from './audit/log.ts';
import type { ChangeFeed } from './dashboard/changes.ts';
import type { ControllerMetrics } from './metrics.ts';
import { CORRELATE_DEFAULTS } from './pipeline/correlate.ts';
import type { IngestedEvent } from './pipeline/ingest.ts';
import { Pipeline } from './pipeline/pipeline.ts';
import type { AlertTransition } from './pipeline/stage-types.ts';
import { Retention, type RetentionOptions } from './store/retention.ts';
import { isStorageOutage } from './store/storage-error.ts';
import type { Store } from './store/store.ts';
import type { Contact__Output } from '../proto/wire.ts';

const PIPELINE_STATE_KEY = 'pipeline';
/** the next free alert id, stored as each alert takes one (ids are never given twice) */
const ALERT_ID_COUNTER = 'alert_next_id';
/** acks older than this are in the correlation snapshot (saved every 15 s): their rows are dropped */
const ACK_ROWS_MS = 24 * 3600_000;
/** silences that ended this long ago are not put back (Silences' own retention) */
const SILENCE_RETENTION_MS = 7 * 24 * 3600_000;
/** a cluster's leader: where the correlation feed was read up to when the snapshot was taken */
const FEED_CURSOR_KEY = 'pipeline.feed_cursor';
/** feed rows behind the stored place are kept this long (a later leader never needs them) */
const FEED_KEEP_MS = 10 * 60_000;

export interface LeadOptions {
  store: Store;
  commands: Commands;
  audit: AuditLog;
  metrics: ControllerMetrics;
  changes: ChangeFeed;
  cluster: Cluster | undefined;
  /** directory of playbook YAML files; without it nothing is contained automatically */
  playbookDir?: string;
  blastRadius?: { fraction?: number; maxHosts?: number; windowMs?: number };
  retention?: RetentionOptions;
  /** the agent port, never blocked by a playbook (known once the controller listens) */
  agentPort: () => number;
  log: Logger;
  now: () => number;
}

/** What correlation needs of a host beside its events: its granted tags and its clock's offset. */
export interface HostContext { tags: Record<string, Record<string, string>>; offsets: Record<string, number> }

export class Lead {
  pipeline!: Pipeline;
  /** the playbook engine, while this controller leads and has a playbook directory */
  playbooks: Containment | undefined;
  /**
   * The one registry of hosts: every host ever seen, its granted tags (never the Hello's
   * claims: controller/trust/host-tags.ts) and whether its agent is connected. Its size is the
   * fleet's (a generic signature needs a share of it); the playbooks select from it.
   */
  readonly hosts = new Map<string, FleetHost>();
  private timers: NodeJS.Timeout[] = [];
  private retention: Retention | undefined;
  /** when the event being correlated reached the controller (event-to-alert latency) */
  private correlatingReceivedAtMs: number | undefined;
  private snapshotQueued = false;
  /** performance.now() before which no transition-driven snapshot starts (see queueSnapshot) */
  private nextSnapshotAt = 0;
  private snapshotTimer: NodeJS.Timeout | undefined;
  /** the feed cursor stored with the last snapshot: rows up to it may be pruned */
  private savedCursor: number | undefined;

  constructor(private readonly o: LeadOptions) {}

  /** Correlation as stored (every controller loads it at start: a follower's is read-only and never saved). */
  async load(): Promise<void> {
    this.pipeline = await this.loadPipeline();
    await this.loadHosts();
  }

  // ------------------------------------------------------------------ inputs

  /** A host came or went: correlation learns its addresses and the fleet's size, the registry its tags and state. */
  presence(id: string, tags: Record<string, string>, online: boolean, addresses: readonly string[]): void {
    // contacts to these addresses are contacts to this host (the spread graph)
    if (online) this.pipeline.setHostAddresses(id, addresses);
    const known = this.hosts.has(id);
    this.hosts.set(id, { id, tags: { ...tags }, online });
    // the fleet size sets how many hosts a generic signature needs: keep it current as hosts arrive
    if (!known) this.pipeline.setFleetSize(this.hosts.size);
  }

  /** Stored events, with their hosts' context. */
  correlate(events: IngestedEvent[], ctx: HostContext): void {
    const now = this.o.now();
    for (const e of events) {
      this.correlatingReceivedAtMs = e.receivedAtMs;
      this.pipeline.ingest({ ...e, hostTags: ctx.tags[e.hostId] ?? {}, clockOffsetMs: ctx.offsets[e.hostId] ?? 0 }, now);
    }
    this.correlatingReceivedAtMs = undefined;
  }

  contacts(hostId: string, contacts: readonly Contact__Output[], tracked: boolean, offsetMs: number, atMs: number): void {
    this.pipeline.ingestContacts(hostId, contacts, tracked, offsetMs, atMs);
  }

  /** An operator changed a host's granted tags. */
  setTags(id: string, tags: Record<string, string>): void {
    const h = this.hosts.get(id);
    if (h) this.hosts.set(id, { ...h, tags: { ...tags } });
  }

  /** A row of the correlation feed, from whichever controller wrote it (the cluster's leader). */
  apply(items: FeedItem[]): void {
    for (const it of items) {
      switch (it.k) {
        case 'events': this.correlate(it.events, it); break;
        case 'contacts': this.contacts(it.host, it.contacts, it.tracked, it.offsetMs, it.atMs); break;
        case 'presence': this.presence(it.host, it.tags, it.online, it.addresses); break;
        case 'tags': this.setTags(it.host, it.tags); break;
      }
    }
  }

  // --------------------------------------------------------------- lifecycle

  /**
   * Correlation and playbooks start here: on a controller on its own, at its start; in a
   * cluster, when this controller is elected: correlation as the last snapshot left it, the
   * playbooks (runs resumed from the store), then the feed from the snapshot's cursor, so
   * what happened since is correlated and acted on.
   */
  async start(): Promise<void> {
    const { o } = this;
    const log = o.log;
    if (o.cluster) await this.load();
    if (o.playbookDir) {
      this.playbooks = new Containment({
        dir: o.playbookDir, store: o.store, commands: o.commands, audit: o.audit, pipeline: () => this.pipeline, hosts: () => this.hosts,
        controllerPort: o.agentPort(), blastRadius: o.blastRadius, log: log.child({ part: 'playbooks' }), now: o.now,
        onRunsChanged: (ids) => { for (const id of ids) o.changes.notify('runs', id); },
      });
      await this.playbooks.start();
    }
    this.timers.push(
      setInterval(() => { this.pipeline.tick(o.now()); this.playbooks?.tick(); }, 1000),
      setInterval(() => {
        void (async () => {
          await this.loadHosts(false);
          // correlation windows only: acks, silences, runs and counts are stored as they change
          await this.savePipeline();
          // rows a later leader cannot need: read, behind the stored cursor, and old
          if (o.cluster && this.savedCursor !== undefined) await o.cluster.prune(this.savedCursor, o.now() - FEED_KEEP_MS);
        })().catch((err) => isStorageOutage(err) || log.error({ err }, 'saving correlation state failed'));
      }, 15_000),
    );
    for (const t of this.timers) t.unref();
    // never the events of the open incident window: the correlator's recent span, and every active alert's
    this.retention = new Retention(o.store, o.retention ?? {}, () => {
      const now = o.now();
      const alerts = this.pipeline.listAlerts({ scope: 'fleet', status: 'active' });
      return {
        windowMs: now - CORRELATE_DEFAULTS.recentMs,
        // an alert opens with hosts whose episodes began up to recentMs earlier
        alertsMs: alerts.reduce((m, a) => Math.min(m, a.firstSeenMs - CORRELATE_DEFAULTS.recentMs), now),
      };
    }, log.child({ part: 'retention' }), o.now);
    this.retention.start();
    if (o.cluster) {
      const saved = await o.store.getState(FEED_CURSOR_KEY);
      await o.cluster.follow(saved === undefined ? undefined : Number(saved), (items) => this.apply(items));
    }
  }

  /** Stops acting at once (deposed, or the controller stops); a new leader resumes from the store. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    clearTimeout(this.snapshotTimer);
    await this.o.cluster?.unfollow();
    this.playbooks?.stop();
    this.playbooks = undefined;
    await this.retention?.stop();
    this.retention = undefined;
  }

  // ---------------------------------------------------------- the snapshot

  private async loadPipeline(): Promise<Pipeline> {
    const { store, now } = this.o;
    const log = this.o.log.child({ part: 'pipeline' });
    const opts = { log, act: (t: AlertTransition) => this.onTransition(t) };
    const saved = await store.getState(PIPELINE_STATE_KEY);
    let p: Pipeline | undefined;
    if (saved) {
      try {
        p = Pipeline.restore(JSON.parse(saved), opts);
      } catch (err) {
        log.error({ err }, 'saved correlation state is unreadable; starting with none (alerts reopen as events arrive)');
      }
    }
    p ??= new Pipeline(opts);
    // what is stored row by row as it changes goes over the (older) correlation snapshot
    const [nextAlertId, acks, silences] = await Promise.all([
      store.getCounter(ALERT_ID_COUNTER), store.listAcks(now() - ACK_ROWS_MS), store.listSilences(now() - SILENCE_RETENTION_MS),
    ]);
    const bad = p.applyStored({ nextAlertId, acks, silences: silences.map((s) => JSON.parse(s) as unknown) });
    if (bad.length > 0) log.error({ problems: bad }, `${bad.length} stored silence(s) are unreadable and were not put back; re-add them with 'firebreak silence add'`);
    p.onAlertIdAllocated((next) => {
      store.raiseCounter(ALERT_ID_COUNTER, next).catch((err) => log.error({ err }, 'storing the alert id high-water mark failed; after a restart an id may be given again'));
    });
    return p;
  }

  /**
   * The stored hosts into the registry and correlation: at load every one (its addresses from
   * its last Hello, until it says Hello again; in a cluster online as stored, so hosts connected
   * to another controller count), later only hosts not yet known
   * (enrolled or connected elsewhere), and the fleet size.
   */
  private async loadHosts(all = true): Promise<void> {
    const [hosts, granted] = await Promise.all([this.o.store.listHosts(), this.o.store.trust.allHostTags()]);
    for (const h of hosts) {
      if (!all && this.hosts.has(h.id)) continue;
      // a lone controller's stored flags are its last run's (it marks every host offline as it starts)
      this.hosts.set(h.id, { id: h.id, tags: granted.get(h.id) ?? {}, online: this.o.cluster ? h.online : false });
      this.pipeline.setHostAddresses(h.id, h.inventory?.ipAddresses ?? []);
    }
    this.pipeline.setFleetSize(this.hosts.size);
  }

  private onTransition(t: AlertTransition): void {
    const { o } = this;
    const a = t.alert;
    if (a.scope === 'fleet' && t.type !== 'updated') {
      // the event that opened or escalated it (undefined for transitions of the periodic tick)
      if (this.correlatingReceivedAtMs !== undefined) o.metrics.eventToAlertSeconds.observe(Math.max(0, o.now() - this.correlatingReceivedAtMs) / 1000);
      o.log.warn({
        alert: a.id, transition: t.type, severity: a.severity, rootCause: a.rootCause, hosts: a.hostCount,
        patientZero: a.patientZero?.hostId, classification: a.classification,
      }, `master alert ${t.type}: ${a.rootCause} on ${a.hostCount} hosts`);
    }
    // A master alert's opening and resolving are stored at once (the correlation snapshot):
    // a crash then never forgets an alert a playbook run acts on, and the events that come
    // after a restart join it rather than open a second one.
    // An acknowledged alert too, of either scope: a host line lives only in the snapshot, and its
    // ack row means nothing after a restart unless the line itself comes back.
    if ((a.scope === 'fleet' && (t.type === 'opened' || t.type === 'resolved')) || t.type === 'acknowledged') this.queueSnapshot();
    this.playbooks?.onTransition(t);
    o.changes.notify('alerts', a.id);
  }

  /**
   * The snapshot after a master alert opened or resolved: coalesced over one turn, and at
   * most 5% of the event loop's time (the next waits 20 times as long as the last took), so
   * a fleet opening master alerts every second never spends its ingest time re-serialising
   * correlation (a 0.5 MB snapshot takes about 4 ms; one an alert opens is at most that late).
   */
  private queueSnapshot(): void {
    if (this.snapshotQueued) return;
    this.snapshotQueued = true;
    const go = () => {
      this.snapshotQueued = false;
      const t0 = performance.now();
      this.savePipeline().catch((err) => this.o.log.error({ err }, 'saving correlation state failed'));
      this.nextSnapshotAt = performance.now() + 20 * (performance.now() - t0);
    };
    const wait = this.nextSnapshotAt - performance.now();
    if (wait <= 0) queueMicrotask(go);
    else (this.snapshotTimer = setTimeout(go, wait)).unref();
  }

  async savePipeline(): Promise<void> {
    const { store, cluster, now } = this.o;
    // a follower's correlation is not the cluster's: only the leader's snapshot is stored
    if (cluster && !cluster.isLeader) return;
    // the feed's place is taken with the snapshot, so a new leader replays exactly what follows it
    const cursor = cluster?.cursor;
    await store.putState(PIPELINE_STATE_KEY, JSON.stringify(this.pipeline.toJSON()), now());
    if (cursor !== undefined) {
      await store.putState(FEED_CURSOR_KEY, String(cursor), now());
      this.savedCursor = cursor;
    }
  }
}

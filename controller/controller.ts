// Assembles one controller from its parts, in dependency order: the store (and,
// in a cluster, the PostgreSQL channels beside it), the audit log, commands, the
// lead (correlation and playbooks: lead.ts), ingest and the agent gateway, then at
// start the trust (CA, certificates) and the listeners: the agent port (mutual
// TLS), the enrollment port (server TLS, token) and the operator API (server TLS,
// bearer token), each on its own gRPC server so the operator port can stay on
// loopback while agents reach theirs from the fleet; the dashboard and metrics.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import type { Server } from 'node:http';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { signCommand } from '../proto/command-signing.ts';
import { firebreakPackage, MAX_MESSAGE_BYTES } from '../proto/wire.ts';
import { AuditLog } from './audit/log.ts';
import { withWireSizes, type ByteBudgetLimits } from './byte-budget.ts';
import { DEFAULT_CONNECTION_LIMITS, fitToFileLimit, GuardedListener, openFileLimit, type ConnectionLimits, type ListenerName } from './net-limits.ts';
import { Commands } from './commands.ts';
import { ADMIN_CREDENTIALS_FILE, type CredentialFile } from './credentials.ts';
import { enrollmentHandlers } from './enrollment.ts';
import { Gateway, StatusError } from './gateway.ts';
import { operatorHandlers } from './operator-api.ts';
import { guardFactory } from './operator-rpc.ts';
import { ChangeFeed } from './dashboard/changes.ts';
import { LastAnomalies } from './dashboard/last-anomaly.ts';
import { DashboardServer, DEFAULT_DIST_DIR } from './dashboard/server.ts';
import { Ingest, type IngestedEvent } from './pipeline/ingest.ts';
import type { Pipeline } from './pipeline/pipeline.ts';
import type { Containment } from './containment.ts';
import { Lead } from './lead.ts';
import { ControllerMetrics, issuerKind } from './metrics.ts';
import { Probes } from './probes.ts';
import { installEvidence } from './store/sqlite-open.ts';
import type { RetentionOptions } from './store/retention.ts';
import { SqliteStore } from './store/sqlite.ts';
import { isStorageOutage } from './store/storage-error.ts';
import { Cluster } from './cluster/cluster.ts';
import { forwardToLeader, type LeaderInfo } from './cluster/forward.ts';
import type { Store } from './store/store.ts';
import { ControllerTrust, SHARED_TRUST_FILES } from './trust/ca.ts';
import { agentIdFromPeerCertificate } from './trust/peer.ts';
import { createOperatorToken } from './trust/tokens.ts';
import { tagsOf } from './trust/host-tags.ts';
import { makePrivate, privateUmask } from '../proto/private-files.ts';

export interface ControllerConfig {
  dataDir: string;
  /** host:port for agents (mutual TLS); port 0 picks a free one */
  agentListen: string;
  /** host:port where new agents enroll with a token (server TLS only) */
  enrollListen: string;
  /** host:port for operators; keep it on loopback unless you mean it */
  operatorListen: string;
  /** extra names or addresses agents use to reach this controller (for its certificate) */
  serverNames?: string[];
  heartbeatIntervalMs: number;
  /** a host is offline after this many heartbeat intervals of silence */
  offlineAfterBeats: number;
  commandTtlMs: number;
  maxFramesPerSecond?: number;
  /** directory of playbook YAML files; without it nothing is contained automatically */
  playbookDir?: string;
  /** automatic isolations allowed per window (default: 5% of the fleet or 20 hosts, the smaller, per 10 min) */
  blastRadius?: { fraction?: number; maxHosts?: number; windowMs?: number };
  /** host:port for Prometheus (GET /metrics, plain HTTP); off when unset */
  metricsListen?: string;
  /** host:port for the web dashboard (HTTPS, operator tokens); off when unset */
  dashboardListen?: string;
  /** the built dashboard page (default: dashboard/dist of this checkout) */
  dashboardDir?: string;
  /** connection limits per listener, over the defaults in net-limits.ts */
  connectionLimits?: Partial<Record<ListenerName, Partial<ConnectionLimits>>>;
  /** per-agent bytes per second and stored bytes per day, over the defaults in byte-budget.ts */
  byteBudget?: Partial<ByteBudgetLimits>;
  /** a copy of the audit head, written every auditAnchorIntervalMs (default 1 min): put it on another mount */
  auditAnchorFile?: string;
  auditAnchorIntervalMs?: number;
  /** event retention by age and size, over the defaults in store/retention.ts */
  retention?: RetentionOptions;
  /** an opened store (PostgreSQL: main.ts opens it, being asynchronous); default SQLite in the data dir */
  store?: Store;
  /**
   * One of several controllers on this PostgreSQL store (controller/cluster/): `store` must be that
   * store. Every controller serves agents and operators; the leader correlates and runs playbooks.
   */
  cluster?: { url: string; schema?: string; node: string; operatorAddress?: string };
  log: Logger;
  now?: () => number;
}

/** who leads a cluster, as the leader published it */
const LEADER_KEY = 'cluster.leader';
/** the cluster's CA fingerprint and command-signing key hash, recorded by its first controller */
const CLUSTER_TRUST_KEY = 'cluster.trust';
/** a host that traces contacts says so to the leader at most this often when it has no contact to send */
const TRACKED_EVERY_MS = 60_000;

/** Server options set on purpose for long-lived agent streams. */
export const AGENT_SERVER_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  // one stream per agent: a peer opening hundreds is misbehaving
  'grpc.max_concurrent_streams': 16,
  'grpc-node.max_session_memory': 16, // MiB per HTTP/2 session
  // connections are recycled so agents rebalance across controllers behind an L4 balancer
  'grpc.max_connection_age_ms': 30 * 60_000,
  'grpc.max_connection_age_grace_ms': 60_000,
  'grpc.keepalive_time_ms': 60_000,
  'grpc.keepalive_timeout_ms': 10_000,
  // nothing reads channelz here; it keeps a registry entry and trackers per session and call (bench:streams, 10,000 streams)
  'grpc.enable_channelz': 0,
};

const SMALL_SERVER_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': 1024 * 1024,
  'grpc.max_send_message_length': 64 * 1024 * 1024,
  'grpc.max_concurrent_streams': 64,
  'grpc-node.max_session_memory': 16,
  // a session with no call for a minute is closed (an idle enrollment or CLI connection holds a descriptor for nothing)
  'grpc.max_connection_idle_ms': 60_000,
  // pings find dead peers under long calls (WaitCommand)
  'grpc.keepalive_time_ms': 60_000,
  'grpc.keepalive_timeout_ms': 10_000,
};


/** Every name and address this host may be reached by, for the server certificate. */
function localNames(extra: string[]): string[] {
  const addrs = Object.values(networkInterfaces()).flat().filter((i) => i && !i.address.startsWith('fe80')).map((i) => i!.address);
  return [...new Set([hostname().toLowerCase(), ...addrs, ...extra])].filter((n) => /^[A-Za-z0-9.:-]+$/.test(n));
}

export class Controller {
  readonly store: Store;
  readonly commands: Commands;
  readonly gateway: Gateway;
  readonly audit: AuditLog;
  trust!: ControllerTrust;
  /** correlation and playbooks: here from the start on a controller on its own, in a cluster while this one leads */
  readonly lead: Lead;
  private readonly agentServer = new grpc.Server(AGENT_SERVER_OPTIONS);
  private readonly enrollServer = new grpc.Server(SMALL_SERVER_OPTIONS);
  private readonly operatorServer = new grpc.Server(SMALL_SERVER_OPTIONS);
  private timers: NodeJS.Timeout[] = [];
  /** the agent, enrollment and operator listeners with their connection limits */
  readonly listeners: GuardedListener[] = [];
  private readonly now: () => number;
  agentPort = 0;
  enrollPort = 0;
  operatorPort = 0;
  metricsPort = 0;
  readonly metrics: ControllerMetrics;
  private readonly probes = new Probes();
  private metricsServer: Server | undefined;
  /** what changed (hosts, alerts, runs, commands, audit), coalesced, for the dashboard's live updates */
  readonly changes = new ChangeFeed();
  /** each host's last anomaly (the dashboard's fleet page) */
  readonly lastAnomalies = new LastAnomalies();
  dashboard: DashboardServer | undefined;
  dashboardPort = 0;
  /** one of several controllers on one PostgreSQL store; undefined for a controller on its own */
  readonly cluster: Cluster | undefined;
  /** when each host's "I trace contacts" last went to the leader */
  private readonly trackedSent = new Map<string, number>();
  private forwarding: { close(): void } | undefined;

  constructor(private readonly cfg: ControllerConfig) {
    // keys, credentials, the audit chain: owner-only, also in a data dir that existed (0755) before
    privateUmask();
    mkdirSync(cfg.dataDir, { recursive: true, mode: 0o700 });
    const narrowed = makePrivate(cfg.dataDir);
    if (narrowed.length) cfg.log.warn({ dir: cfg.dataDir, narrowed: narrowed.slice(0, 20) }, `${narrowed.length} file(s) or dir(s) in the data dir were readable by others; narrowed to 0600/0700`);
    this.now = cfg.now ?? Date.now;
    const now = this.now;
    const log = cfg.log;
    // an existing install's files make a missing, empty or foreign database a refusal, not a fresh start
    this.store = cfg.store ?? new SqliteStore(join(cfg.dataDir, 'firebreak.db'), {
      existingInstall: installEvidence(cfg.dataDir), log: log.child({ part: 'store' }),
    });
    if (cfg.cluster) this.cluster = new Cluster({ ...cfg.cluster, log: log.child({ part: 'cluster' }), now });
    this.audit = new AuditLog(this.store.trust, join(cfg.dataDir, 'audit.head'), log.child({ part: 'audit' }), now,
      { anchorFile: cfg.auditAnchorFile, anchorIntervalMs: cfg.auditAnchorIntervalMs, onAppend: (seq) => this.changes.notify('audit', String(seq)), shared: Boolean(cfg.cluster) });
    this.metrics = new ControllerMetrics({
      hosts: async () => {
        const hosts = await this.store.listHosts();
        const count = (f: (h: (typeof hosts)[number]) => boolean) => hosts.reduce((n, h) => n + (f(h) ? 1 : 0), 0);
        const online = count((h) => h.online);
        return {
          online, offline: hosts.length - online, isolated: count((h) => Boolean(h.enforcement?.isolated)),
          withBlocks: count((h) => (h.enforcement?.blocks.length ?? 0) > 0), throttled: count((h) => Boolean(h.enforcement?.throttle)),
          stateLost: count((h) => Boolean(h.enforcement?.stateLost)),
        };
      },
      alerts: () => this.pipeline?.listAlerts() ?? [],
      runs: () => (this.playbooks?.listRuns(100_000) ?? []) as { status: string; mode: string }[],
      audit: () => ({ entries: this.audit.headSeq, alarms: this.audit.alarms, refusedCalls: this.audit.refusedCalls }),
    });
    const m = this.metrics;
    this.commands = new Commands({
      store: this.store, log: log.child({ part: 'commands' }), now, audit: this.audit,
      // in a cluster another controller may hold the host's stream: it is told to send the command
      undelivered: cfg.cluster ? (hostId) => this.cluster!.wakeHost(hostId) : undefined,
      defaultTtlMs: cfg.commandTtlMs, maxTtlMs: 24 * 3600_000,
      sign: (cmd) => signCommand(cmd, this.trust.commandSigningKey),
      observe: {
        issued: (action, issuer) => m.commandsIssued.inc({ action, issuer: issuerKind(issuer) }),
        final: (action, status) => m.commandResults.inc({ action, status }),
        changed: (id) => { this.changes.notify('commands', id); this.cluster?.commandChanged(id); },
      },
    });
    this.lead = new Lead({
      store: this.store, commands: this.commands, audit: this.audit, metrics: m, changes: this.changes, cluster: this.cluster,
      playbookDir: cfg.playbookDir, blastRadius: cfg.blastRadius, retention: cfg.retention, agentPort: () => this.agentPort,
      log, now,
    });
    const ingest = new Ingest(this.store, log.child({ part: 'ingest' }), (events) => this.correlate(events), (hostId, sample) => {
      // before the report's events, so an incident they open already sees the contacts that caused it
      const offsetMs = this.gateway.online.get(hostId)?.clockOffsetMs ?? 0;
      if (!this.cluster) return this.lead.contacts(hostId, sample.contacts, sample.contactsTracked, offsetMs, this.now());
      const t = this.now();
      const quiet = sample.contacts.length === 0 && (!sample.contactsTracked || t - (this.trackedSent.get(hostId) ?? -Infinity) < TRACKED_EVERY_MS);
      if (quiet) return;
      if (sample.contactsTracked) this.trackedSent.set(hostId, t);
      this.cluster.feed.push({ k: 'contacts', host: hostId, contacts: sample.contacts, tracked: sample.contactsTracked, offsetMs, atMs: t });
    }, {
      stored: (seconds, events) => { m.reports.inc({ outcome: 'stored' }); m.events.inc(events); m.ingestSeconds.observe(seconds); },
      duplicate: () => m.reports.inc({ outcome: 'duplicate' }),
    }, {
      // onsets bounded by arrival and the agent's measured offset (a backdated event is clamped and flagged)
      clockOffsetMs: (id) => this.gateway.online.get(id)?.clockOffsetMs ?? 0,
    });
    this.gateway = new Gateway({
      store: this.store, ingest, commands: this.commands, log: log.child({ part: 'gateway' }), now,
      heartbeatIntervalMs: cfg.heartbeatIntervalMs, maxFramesPerSecond: cfg.maxFramesPerSecond,
      authenticate: (call) => this.authenticateAgent(call),
      // tags are granted (token, operators), never taken from the Hello
      grantedTags: async (id) => tagsOf(await this.store.trust.hostTagGrants(id)),
      onPresence: (id, tags, online, addresses) => {
        if (this.cluster) this.cluster.feed.push({ k: 'presence', host: id, tags, online, addresses: [...addresses] });
        else this.lead.presence(id, tags, online, addresses);
        this.changes.notify('hosts', id);
      },
      onEnforcement: (id) => this.changes.notify('hosts', id),
      // counted per peer address and minute: a flood of refused streams costs rows per minute, not per stream
      onRefused: (r) => this.audit.refused({ peer: r.peer, action: 'agent.refused', claimed: r.agentId, code: r.code, reason: r.reason }),
      byteBudget: cfg.byteBudget,
      onOverBudget: (b) => this.audit.record(`agent:${b.hostId}`, 'agent.over-budget', b.hostId, { peer: b.peer, budget: b.kind, reason: b.reason }),
    });
  }

  /** The agent id comes from the verified client certificate, never from a message. */
  private async authenticateAgent(call: grpc.ServerDuplexStream<unknown, unknown>): Promise<string> {
    const peer = agentIdFromPeerCertificate(call.getAuthContext()?.sslPeerCertificate, this.now());
    if (!peer.ok) throw new StatusError(grpc.status.UNAUTHENTICATED, peer.reason);
    const rec = await this.store.trust.getAgent(peer.agentId);
    if (!rec) throw new StatusError(grpc.status.UNAUTHENTICATED, `agent '${peer.agentId}' is not enrolled with this controller`, peer.agentId);
    if (rec.revoked) throw new StatusError(grpc.status.PERMISSION_DENIED, `agent '${peer.agentId}' was revoked; an admin must allow it to re-enroll`, peer.agentId);
    if (rec.certFingerprint !== peer.fingerprint256) {
      throw new StatusError(grpc.status.PERMISSION_DENIED, `agent '${peer.agentId}' presented a certificate that is no longer its current one (re-enrolled or replaced)`, peer.agentId);
    }
    return peer.agentId;
  }

  /** Ingest's sink: stored events go on to correlation with what the gateway knows of their host (in a cluster, through the leader's feed). */
  private correlate(events: IngestedEvent[]): void {
    const tags: Record<string, Record<string, string>> = {};
    const offsets: Record<string, number> = {};
    for (const e of events) {
      const s = this.gateway.online.get(e.hostId);
      tags[e.hostId] = s?.tags ?? {};
      offsets[e.hostId] = s?.clockOffsetMs ?? 0;
      if (!e.event.cleared) {
        this.lastAnomalies.record(e.hostId, e.event.signature, e.receivedAtMs);
        this.changes.notify('hosts', e.hostId);
      }
    }
    if (this.cluster) this.cluster.feed.push({ k: 'events', events, tags, offsets });
    else this.lead.correlate(events, { tags, offsets });
  }

  /** correlation of the moment (a cluster's new leader restores its own) */
  get pipeline(): Pipeline {
    return this.lead.pipeline;
  }

  /** the playbook engine, while this controller leads and has a playbook directory */
  get playbooks(): Containment | undefined {
    return this.lead.playbooks;
  }

  async savePipeline(): Promise<void> {
    await this.lead.savePipeline();
  }

  async start(): Promise<void> {
    const { cfg } = this;
    const log = cfg.log;
    await this.lead.load();
    this.trust = await ControllerTrust.open(join(cfg.dataDir, 'trust'), { logger: log.child({ part: 'trust' }) });
    if (this.cluster) await this.checkClusterTrust();
    const sc = await this.trust.ensureServerCert(localNames([cfg.agentListen, cfg.enrollListen, ...(cfg.dashboardListen ? [cfg.dashboardListen] : [])].map((a) => a.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''))
      .filter((h) => h !== '0.0.0.0' && h !== '::').concat(cfg.serverNames ?? [])));
    const pair = [{ cert_chain: Buffer.from(sc.certChainPem), private_key: Buffer.from(sc.keyPem) }];
    // always our own CA as the root for client certificates: with none, grpc-js would trust the public CA list
    const agentCreds = grpc.ServerCredentials.createSsl(Buffer.from(this.trust.caCertPem), pair, true);
    const serverOnly = grpc.ServerCredentials.createSsl(null, pair, false);

    const pkg = firebreakPackage();
    // each request tagged with its wire size, for the per-agent byte budget
    this.agentServer.addService(withWireSizes(pkg.AgentLink.service), this.gateway.handlers());
    this.enrollServer.addService(pkg.Enrollment.service, enrollmentHandlers({
      trust: this.trust, store: this.store.trust, audit: this.audit, log: log.child({ part: 'enrollment' }), now: this.now,
    }));
    const operatorApi = operatorHandlers({
      store: this.store, commands: this.commands, gateway: this.gateway, trust: this.trust, audit: this.audit,
      pipeline: () => this.pipeline, playbooks: () => this.playbooks, fleet: () => this.playbooks, log: log.child({ part: 'operator-api' }), now: this.now,
      onTagsChanged: (id, tags) => {
        this.gateway.retag(id, tags);
        if (this.cluster) this.cluster.feed.push({ k: 'tags', host: id, tags });
        else this.lead.setTags(id, tags);
      },
    });
    if (this.cluster) {
      // alerts, silences, playbooks and runs are the leader's: a follower passes those calls on
      this.forwarding = forwardToLeader(operatorApi, {
        isLeader: () => this.cluster!.isLeader, leader: () => this.leaderInfo(), caCertPem: this.trust.caCertPem, node: this.cluster.node, log: log.child({ part: 'cluster' }),
      });
    }
    this.operatorServer.addService(pkg.Operator.service, operatorApi);
    this.probes.addTo(this.agentServer, this.operatorServer);

    // in a cluster the other controllers' hosts are online: each marks its own as they go
    if (!this.cluster) await this.store.markAllOffline(this.now());
    await this.audit.open();
    // each listener owns its socket and its limits, fitted under the open-file limit with the operator's share kept
    const cl = cfg.connectionLimits ?? {};
    const limits = fitToFileLimit({
      agent: { ...DEFAULT_CONNECTION_LIMITS.agent, ...cl.agent },
      enroll: { ...DEFAULT_CONNECTION_LIMITS.enroll, ...cl.enroll },
      operator: { ...DEFAULT_CONNECTION_LIMITS.operator, ...cl.operator },
    }, openFileLimit(), log);
    const listen = (name: ListenerName, server: grpc.Server, addr: string, creds: grpc.ServerCredentials) => {
      const l = new GuardedListener(name, server, creds, limits[name], log.child({ part: 'net' }),
        (reason) => this.metrics.connectionsRejected.inc({ listener: name, reason }));
      this.listeners.push(l);
      return l.listen(addr);
    };
    this.agentPort = await listen('agent', this.agentServer, cfg.agentListen, agentCreds);
    this.enrollPort = await listen('enroll', this.enrollServer, cfg.enrollListen, serverOnly);
    this.operatorPort = await listen('operator', this.operatorServer, cfg.operatorListen, serverOnly);
    if (cfg.metricsListen) {
      ({ server: this.metricsServer, port: this.metricsPort } = await this.metrics.listen(cfg.metricsListen, log.child({ part: 'metrics' })));
    }
    if (cfg.dashboardListen) {
      // every /api call goes through the operator API's handlers and gate: one path for roles, validation and audit
      this.dashboard = new DashboardServer({
        listen: cfg.dashboardListen, tls: { keyPem: sc.keyPem, certChainPem: sc.certChainPem }, handlers: operatorApi,
        guard: guardFactory({ store: this.store, audit: this.audit, log: log.child({ part: 'operator-api' }) }),
        distDir: cfg.dashboardDir ?? DEFAULT_DIST_DIR, changes: this.changes, lastAnomalies: this.lastAnomalies, log: log.child({ part: 'dashboard' }), now: this.now,
        onRejected: (reason) => this.metrics.connectionsRejected.inc({ listener: 'dashboard', reason }),
      });
      this.dashboardPort = await this.dashboard.listen();
    }
    await this.bootstrapAdmin();
    const beat = cfg.heartbeatIntervalMs;
    const probeStorage = () => void this.store.storageHealth().then((h) => this.probes.serving(h.state === 'ok'), () => this.probes.serving(false));
    probeStorage();
    this.timers.push(
      setInterval(probeStorage, 2000),
      setInterval(() => {
        for (const id of this.gateway.reapSilent(beat * cfg.offlineAfterBeats)) {
          log.warn({ host: id }, `no heartbeat for ${cfg.offlineAfterBeats} intervals; marking offline`);
        }
      }, Math.max(200, beat / 2)),
      // a full or damaged store says so once itself; these timers would repeat it every tick
      setInterval(() => void this.commands.expire().catch((err) => isStorageOutage(err) || log.error({ err }, 'expiring commands failed')), 1000),
    );
    for (const t of this.timers) t.unref();
    if (!this.cluster) return this.lead.start();
    await this.cluster.start({
      elected: () => this.lead.start().then(() => this.publishLead()),
      deposed: (reason) => void this.lead.stop().then(() => log.warn({ reason }, 'cluster: this controller no longer leads; correlation and playbooks stopped here')),
      wake: (ids) => { for (const id of ids) if (this.gateway.online.has(id)) void this.commands.flush(id).catch((err) => isStorageOutage(err) || log.error({ err, host: id }, 'sending a waiting command failed')); },
      commandsChanged: (ids) => { for (const id of ids) this.commands.changedElsewhere(id); },
    });
  }

  /**
   * Every controller of a cluster must hold the same CA and command-signing key: with its own, it
   * would refuse the fleet's agents and they would refuse its commands. The first one records both.
   */
  private async checkClusterTrust(): Promise<void> {
    const mine = `${this.trust.caFingerprint}|${createHash('sha256').update(this.trust.commandSigningPublicKeyPem).digest('hex')}`;
    const theirs = await this.store.getState(CLUSTER_TRUST_KEY);
    if (theirs === undefined) return void await this.store.putState(CLUSTER_TRUST_KEY, mine, this.now());
    if (theirs !== mine) {
      throw new Error(`this controller's CA or command-signing key (${join(this.cfg.dataDir, 'trust')}) is not the cluster's: agents enrolled with the cluster ` +
        `would be refused here and would refuse its commands. Nothing was changed. Copy ${SHARED_TRUST_FILES.join(', ')} from another ` +
        `controller's <data-dir>/trust into ${join(this.cfg.dataDir, 'trust')} (remove server.key and server.crt there) and start again.`);
    }
  }

  /** Who leads the cluster, as the leader published it (read at most once a second). */
  private async leaderInfo(): Promise<LeaderInfo | undefined> {
    const c = this.leaderCache;
    if (c && this.now() - c.atMs < 1000) return c.info;
    const raw = await this.store.getState(LEADER_KEY);
    const info = raw ? (JSON.parse(raw) as LeaderInfo) : undefined;
    this.leaderCache = { atMs: this.now(), info };
    return info;
  }

  private leaderCache: { atMs: number; info: LeaderInfo | undefined } | undefined;

  /** Tells the other controllers where the new leader serves operators (they forward leader-only calls there). */
  private async publishLead(): Promise<void> {
    const { cfg } = this;
    const node = this.cluster!.node;
    const operator = cfg.cluster!.operatorAddress ?? this.operatorAddress();
    await this.store.putState(LEADER_KEY, JSON.stringify({ node, operator, sinceMs: this.now() } satisfies LeaderInfo), this.now());
    cfg.log.warn({ node }, 'cluster: this controller leads: correlation and playbooks run here');
  }

  get credentialsFile(): string {
    return join(this.cfg.dataDir, ADMIN_CREDENTIALS_FILE);
  }

  /** Where this controller serves operators: the bound port, on loopback when it listens on every address. */
  private operatorAddress(): string {
    const host = this.cfg.operatorListen.replace(/:\d+$/, '');
    return `${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${this.operatorPort}`;
  }

  /**
   * On first start there is no operator: create an admin and write its
   * credential (0600) beside the database. Later starts only refresh the
   * address in that file, since ports may change.
   */
  private async bootstrapAdmin(): Promise<void> {
    const file = this.credentialsFile;
    const address = this.operatorAddress();
    if ((await this.store.trust.countOperators()) === 0) {
      const { token, hash } = createOperatorToken();
      await this.store.trust.addOperator({ name: 'admin', role: 'admin', tokenHash: hash }, this.now());
      const cred: CredentialFile = {
        controller: address, name: 'admin', role: 'admin', token, caCertPem: this.trust.caCertPem, caFingerprint: this.trust.caFingerprint,
      };
      writeFileSync(file, JSON.stringify(cred, null, 2), { mode: 0o600 });
      await this.audit.append('system', 'operator.bootstrap', 'admin', { file });
      this.cfg.log.warn({ file }, 'first start: created operator "admin"; its credential is in this file (keep it secret)');
    } else if (existsSync(file)) {
      const cred = JSON.parse(readFileSync(file, 'utf8')) as CredentialFile;
      if (cred.controller !== address) writeFileSync(file, JSON.stringify({ ...cred, controller: address }, null, 2), { mode: 0o600 });
    }
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.probes.stopping();
    this.gateway.closeAll();
    await this.lead.savePipeline().catch((err) => this.cfg.log.error({ err }, 'saving correlation state failed'));
    await this.lead.stop();
    // the lead goes with the cluster's connections: another controller takes it within a poll
    this.forwarding?.close();
    await this.cluster?.stop();
    await Promise.all([this.agentServer, this.enrollServer, this.operatorServer].map((s) => new Promise<void>((resolve) => {
      const force = setTimeout(() => { s.forceShutdown(); resolve(); }, 2000);
      s.tryShutdown(() => { clearTimeout(force); resolve(); });
    })));
    await Promise.all(this.listeners.map((l) => l.close()));
    await this.dashboard?.close();
    this.changes.close();
    await this.audit.close();
    await new Promise<void>((resolve) => (this.metricsServer ? this.metricsServer.close(() => resolve()) : resolve()));
    await this.store.close();
  }
}

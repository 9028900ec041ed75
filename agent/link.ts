// The agent's link to the controller: one bidirectional stream, dialled out.
// Reports are numbered and written to the on-disk spool (agent/spool.ts)
// before they are sent, and trimmed when the controller acks them, so an
// outage or a restart loses nothing the spool can hold; a reconnect resends,
// in order and paced under the controller's frame limit, what is missing (the
// controller drops duplicates). Reconnects back off exponentially with jitter,
// capped, so a fleet neither returns in one instant nor stays away long.
//
// Several controllers sharing one store ("a:7443,b:7443"): the link holds one
// stream at a time and, when it fails or a connect brings no Welcome within
// WELCOME_TIMEOUT_MS, moves on to the next address at once; the backoff is
// paid between full rounds, so a dead controller costs one attempt. After a
// Welcome it stays where it is until that stream fails. The shared store
// deduplicates what is re-sent to the next controller (host, boot, seq).
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type {
  AgentFrame,
  AgentLinkClient,
  Command__Output,
  CommandResult,
  ControllerFrame__Output,
  Heartbeat,
  Hello,
  Report,
} from '../proto/wire.ts';
import { firebreakPackage, MAX_MESSAGE_BYTES } from '../proto/wire.ts';
import { controllerAddresses } from './controller-list.ts';
import type { Spool } from './spool.ts';

export const CLIENT_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  // keepalive notices a dead controller or a silently dropped NAT mapping
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  // Firebreak replays reports itself from its spool; transparent retries would duplicate
  'grpc.enable_retries': 0,
  // The channel's own reconnect backoff grows to 120 s by default: agents stayed
  // away 79 s after the controller was back. Capped so they return within ~10 s.
  'grpc.initial_reconnect_backoff_ms': 1000,
  'grpc.min_reconnect_backoff_ms': 1000,
  'grpc.max_reconnect_backoff_ms': 3000,
  // An agent has one channel in use (one per controller address at most), so
  // sharing grpc-js's process-wide subchannel pool buys nothing; in the simulator
  // (thousands of agents in one process) each new channel scanned every other
  // one: 4,000 channels cost 19.4 CPU-s shared, 6.7 local.
  'grpc.use_local_subchannel_pool': 1,
};

/** The link's own backoff between stream attempts (jittered: each delay is 50-100% of the step). */
export const BACKOFF_INITIAL_MS = 1000;
export const BACKOFF_MAX_MS = 4000;
/** a stream must stay up this long before the backoff starts over (a welcome then a failure is no recovery) */
export const HEALTHY_AFTER_MS = 10_000;
/**
 * With several controllers: a connect that brings no Welcome within this moves on
 * to the next (a controller that is down behind a silent firewall never refuses).
 * With one there is nowhere else to go, and the connect is left to finish.
 */
export const WELCOME_TIMEOUT_MS = 5000;
/**
 * Frames per second the link sends reports at, and its burst. The controller
 * cuts an agent past 50/s after a burst of 250 (5 s worth, full at each Hello:
 * controller/gateway.ts, maxFramesPerSecond); 45/s after a burst of 200 leaves
 * room for heartbeats and command results, so replaying a long outage is never
 * cut. A controller configured lower cuts once; the link then halves its pace.
 */
export const REPLAY_FRAMES_PER_SECOND = 45;
export const REPLAY_BURST = 200;

export interface LinkOptions {
  /** the controller's HOST:PORT, or several comma-separated (controllers sharing one store), tried in order */
  address: string;
  credentials?: grpc.ChannelCredentials;
  log: Logger;
  /** the on-disk report spool (agent/spool.ts): numbers, boot id, unacked reports */
  spool: Spool;
  /** the Hello to send on every (re)connect; the link fills boot id and time */
  hello: () => Omit<Hello, 'bootId' | 'sentAtMs'>;
  heartbeat: () => Omit<Heartbeat, 'sentAtMs' | 'lastSeq'>;
  onCommand: (cmd: Command__Output) => Promise<CommandResult>;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  healthyAfterMs?: number;
  /** with several addresses: how long a connect may take to bring a Welcome before the next address is tried */
  welcomeTimeoutMs?: number;
  framesPerSecond?: number;
  channelOptions?: grpc.ChannelOptions;
  random?: () => number;
  /** the agent's clock, for the times it stamps (Hello, heartbeat); the simulator skews it per host */
  now?: () => number;
}

export class Link {
  /** the controllers' addresses, in the order they are tried */
  readonly addresses: readonly string[];
  /** index in addresses of the controller connected to, or tried now */
  private current = 0;
  /** one channel per address, made when first tried; those not in use are closed after a Welcome */
  private readonly channels = new Map<string, AgentLinkClient>();
  /** attempts that failed since the last healthy stream: a full round of addresses earns a backoff */
  private failedTries = 0;
  /** why the current stream failed, for the failover line */
  private failure = '';
  private welcomeTimer: NodeJS.Timeout | undefined;
  private call: grpc.ClientDuplexStream<AgentFrame, ControllerFrame__Output> | undefined;
  private welcomed = false;
  private firstWelcome = true;
  private readonly spool: Spool;
  /** the highest seq written on the current stream */
  private sentSeq = 0;
  private attempt = 0;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private healthyTimer: NodeJS.Timeout | undefined;
  private pumpTimer: NodeJS.Timeout | undefined;
  private heartbeatMs = 5000;
  private writeQueue: Promise<void> = Promise.resolve();
  private ackWaiters = new Map<number, () => void>();
  private probeWaiters = new Set<(acked: number) => void>();
  private readonly rand: () => number;
  private rate: number;
  private tokens = 0;
  private tokensAt = 0;
  /** the backoff delays chosen between rounds of attempts, for tests */
  readonly delays: number[] = [];
  /** every move to the next controller: from, to, why; for tests and the simulator */
  readonly failovers: { from: string; to: string; reason: string; atMs: number }[] = [];

  constructor(private readonly opts: LinkOptions) {
    this.addresses = controllerAddresses(opts.address);
    this.rand = opts.random ?? Math.random;
    this.spool = opts.spool;
    this.rate = opts.framesPerSecond ?? REPLAY_FRAMES_PER_SECOND;
    this.spool.onDurable = () => this.pump();
  }

  /** this boot's id, persisted in the spool: a restart continues the same boot's numbers */
  get bootId(): string {
    return this.spool.bootId;
  }

  get connected(): boolean {
    return this.welcomed;
  }

  /** the controller address connected to (or being tried now) */
  get address(): string {
    return this.addresses[this.current]!;
  }

  get spooled(): number {
    return this.spool.pending.length;
  }

  /** the last report number this boot gave (the controller holds every one up to its ack) */
  get lastSeq(): number {
    return this.spool.seq;
  }

  start(): void {
    this.connect();
  }

  /** Stops the link; the spool keeps every unacked report for the next start. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.healthyTimer);
    clearTimeout(this.pumpTimer);
    clearTimeout(this.welcomeTimer);
    this.call?.end();
    this.call?.cancel();
    for (const c of this.channels.values()) c.close();
    this.channels.clear();
    this.spool.close();
  }

  /** Numbers a report, spools it and sends it once it is durable and the stream is up. */
  report(body: Omit<Report, 'seq'>): number {
    const seq = this.spool.append(body);
    // the fault bench counts these against the controller's store
    this.opts.log.debug({ boot: this.spool.bootId, seq }, 'report spooled');
    return seq;
  }

  /** A round trip on the stream: an empty report and its ack. Rejects on timeout. */
  async roundTrip(timeoutMs: number): Promise<number> {
    const started = Date.now();
    const seq = this.report({ events: [] });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { this.ackWaiters.delete(seq); reject(new Error(`no ack from the controller within ${timeoutMs} ms`)); }, timeoutMs);
      this.ackWaiters.set(seq, () => { clearTimeout(timer); resolve(); });
    });
    return Date.now() - started;
  }

  /**
   * Proves the controller answers on the stream now: resolves on the ack of the
   * first report written after this call (during a replay that is the next one
   * paced out, not the end of the backlog as with roundTrip). Rejects on timeout.
   */
  async probe(timeoutMs: number): Promise<number> {
    const started = Date.now();
    // everything up to sentSeq was written before this call: its acks prove nothing new
    const firstAfter = this.sentSeq + 1;
    this.report({ events: [] });
    await new Promise<void>((resolve, reject) => {
      const key = firstAfter;
      const timer = setTimeout(() => { this.probeWaiters.delete(done); reject(new Error(`no ack from the controller within ${timeoutMs} ms`)); }, timeoutMs);
      const done = (acked: number) => { if (acked < key) return; this.probeWaiters.delete(done); clearTimeout(timer); resolve(); };
      this.probeWaiters.add(done);
    });
    return Date.now() - started;
  }

  /** Sends a heartbeat now (also used after a state change). */
  heartbeatNow(): void {
    if (!this.welcomed) return;
    this.takeToken();
    void this.write({ heartbeat: { ...this.opts.heartbeat(), sentAtMs: (this.opts.now ?? Date.now)(), lastSeq: this.spool.seq } });
  }

  sendResult(result: CommandResult): void {
    if (!this.welcomed) return;
    this.takeToken();
    void this.write({ commandResult: result });
  }

  /** The channel to an address, made on first use. */
  private channel(address: string): AgentLinkClient {
    let c = this.channels.get(address);
    if (!c) {
      c = new (firebreakPackage().AgentLink)(address, this.opts.credentials ?? grpc.credentials.createInsecure(), { ...CLIENT_OPTIONS, ...this.opts.channelOptions });
      this.channels.set(address, c);
    }
    return c;
  }

  private connect(): void {
    if (this.stopped) return;
    const { log } = this.opts;
    const address = this.address;
    const call = this.channel(address).Connect();
    this.call = call;
    this.welcomed = false;
    this.failure = '';
    this.writeQueue = Promise.resolve();
    if (this.addresses.length > 1) {
      const ms = this.opts.welcomeTimeoutMs ?? WELCOME_TIMEOUT_MS;
      clearTimeout(this.welcomeTimer);
      this.welcomeTimer = setTimeout(() => {
        if (this.call !== call || this.welcomed) return;
        this.failure = `no Welcome within ${ms} ms`;
        call.cancel();
      }, ms);
    }
    call.on('data', (frame: ControllerFrame__Output) => this.onFrame(call, frame));
    call.on('error', (err: grpc.ServiceError) => {
      if (this.stopped) return;
      // cut for sending too fast (a controller with a lower limit than ours): slow down
      if (err.code === grpc.status.RESOURCE_EXHAUSTED) this.rate = Math.max(1, this.rate / 2);
      if (call === this.call && !this.failure) this.failure = `${grpc.status[err.code]}: ${err.details}`;
      log.warn({ controller: address, code: grpc.status[err.code], details: err.details }, 'link to controller failed');
    });
    call.on('close', () => this.onClosed(call));
    call.on('end', () => this.onClosed(call));
    void this.write({ hello: { ...this.opts.hello(), bootId: this.spool.bootId, sentAtMs: (this.opts.now ?? Date.now)() } }, call);
  }

  /** The delay before the next attempt: exponential, capped, jittered so a fleet does not return in one instant. */
  nextDelay(): number {
    const initial = this.opts.backoffInitialMs ?? BACKOFF_INITIAL_MS;
    const cap = this.opts.backoffMaxMs ?? BACKOFF_MAX_MS;
    const ceiling = Math.min(cap, initial * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(ceiling / 2 + (this.rand() * ceiling) / 2);
  }

  private onClosed(call: grpc.ClientDuplexStream<AgentFrame, ControllerFrame__Output>): void {
    if (this.call !== call) return;
    const wasWelcomed = this.welcomed;
    this.call = undefined;
    this.welcomed = false;
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.healthyTimer);
    clearTimeout(this.pumpTimer);
    clearTimeout(this.welcomeTimer);
    if (this.stopped) return;
    // the healthy spell, not the Welcome, resets the count: controllers that welcome
    // and drop at once still earn a backoff every round
    this.failedTries++;
    if (this.addresses.length > 1) {
      const from = this.address;
      this.current = (this.current + 1) % this.addresses.length;
      const reason = this.failure || 'the stream ended';
      this.failovers.push({ from, to: this.address, reason, atMs: Date.now() });
      if (this.failovers.length > 100) this.failovers.shift();
      if (this.failedTries % this.addresses.length !== 0) {
        this.opts.log.warn({ from, to: this.address, reason, spooled: this.spool.pending.length },
          `controller ${from} ${wasWelcomed ? 'lost' : 'unreachable'} (${reason}); trying ${this.address}`);
        this.reconnectTimer = setTimeout(() => this.connect(), 0);
        return;
      }
      this.opts.log.warn({ reason }, `controller ${from} ${wasWelcomed ? 'lost' : 'unreachable'} (${reason}); every controller was tried (${this.addresses.join(', ')}): backing off, then ${this.address}`);
    }
    const delay = this.nextDelay();
    this.delays.push(delay);
    if (this.delays.length > 100) this.delays.shift();
    this.opts.log.info({ delayMs: delay, attempt: this.attempt, spooled: this.spool.pending.length }, 'reconnecting to controller');
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private onFrame(call: grpc.ClientDuplexStream<AgentFrame, ControllerFrame__Output>, frame: ControllerFrame__Output): void {
    switch (frame.body) {
      case 'welcome': {
        // a stream given up on (no Welcome in time, the link moved on) is not taken back by a late one
        if (call !== this.call) break;
        const w = frame.welcome!;
        const lastSeq = Number(w.lastSeq);
        if (this.firstWelcome) {
          this.firstWelcome = false;
          const moved = this.spool.renumberAfter(lastSeq);
          if (lastSeq > this.spool.openSeq) {
            this.opts.log.warn({ boot: this.spool.bootId, controllerSeq: lastSeq, spoolSeq: this.spool.openSeq, renumbered: moved },
              'the controller holds report numbers this spool never assigned (its file lost its tail or was restored from a backup): reports since start renumbered after them');
          }
        }
        this.welcomed = true;
        this.heartbeatMs = w.heartbeatIntervalMs || this.heartbeatMs;
        this.ack(lastSeq);
        this.sentSeq = lastSeq;
        this.spool.inFlight = lastSeq;
        clearTimeout(this.welcomeTimer);
        // staying here until this stream fails: the other controllers' channels are not kept open
        for (const [address, c] of this.channels) if (address !== this.address) { c.close(); this.channels.delete(address); }
        // a welcome then a failure is no recovery: the backoff starts over only after a healthy spell
        clearTimeout(this.healthyTimer);
        this.healthyTimer = setTimeout(() => { this.attempt = 0; this.failedTries = 0; }, this.opts.healthyAfterMs ?? HEALTHY_AFTER_MS);
        this.tokens = Math.min(REPLAY_BURST, this.rate * 4);
        this.tokensAt = Date.now();
        this.opts.log.info({ controller: this.address, boot: this.spool.bootId, resend: this.spool.pending.length, heartbeatMs: this.heartbeatMs }, 'connected to controller');
        clearInterval(this.heartbeatTimer);
        this.heartbeatTimer = setInterval(() => this.heartbeatNow(), this.heartbeatMs);
        this.heartbeatNow();
        this.pump();
        break;
      }
      case 'ack':
        if (frame.ack!.bootId === this.spool.bootId) this.ack(Number(frame.ack!.seq));
        break;
      case 'command': {
        const cmd = frame.command!;
        this.opts.onCommand(cmd).then(
          (result) => this.sendResult(result),
          (err) => this.opts.log.error({ err, command: cmd.id }, 'command handler failed'),
        );
        break;
      }
      default:
        this.opts.log.warn({ body: frame.body }, 'unknown frame from controller ignored');
    }
  }

  private ack(seq: number): void {
    this.spool.ack(seq);
    for (const [s, resolve] of this.ackWaiters) {
      if (s <= seq) { this.ackWaiters.delete(s); resolve(); }
    }
    for (const w of [...this.probeWaiters]) w(seq);
  }

  private refill(): void {
    const now = Date.now();
    const burst = Math.min(REPLAY_BURST, this.rate * 4);
    this.tokens = Math.min(burst, this.tokens + ((now - this.tokensAt) / 1000) * this.rate);
    this.tokensAt = now;
  }

  /** heartbeats and results are never held back, but they count against the pace */
  private takeToken(): void {
    this.refill();
    this.tokens -= 1;
  }

  /** Sends the durable reports the stream has not carried yet, in order, at most `rate` a second. */
  private pump(): void {
    clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    if (!this.welcomed || !this.call) return;
    const pending = this.spool.pending;
    // pending is in seq order: find the first one not yet on this stream
    let lo = 0;
    let hi = pending.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (pending[mid]!.report.seq <= this.sentSeq) lo = mid + 1; else hi = mid; }
    for (let i = lo; i < pending.length; i++) {
      const rec = pending[i]!;
      if (!this.spool.isDurable(rec)) return; // onDurable pumps again
      this.refill();
      if (this.tokens < 1) {
        this.pumpTimer = setTimeout(() => this.pump(), Math.ceil(((1 - this.tokens) / this.rate) * 1000));
        return;
      }
      this.tokens -= 1;
      this.sentSeq = rec.report.seq;
      this.spool.inFlight = this.sentSeq;
      void this.write({ report: rec.report });
    }
  }

  /** Writes in order; when the stream says its buffer is full, waits for drain. */
  private write(frame: AgentFrame, call = this.call): Promise<void> {
    if (!call) return Promise.resolve();
    const next = this.writeQueue.then(async () => {
      if (call !== this.call) return;
      if (call.write(frame)) return;
      // one pair of listeners per wait, removed after (events.once in a race leaves the loser's behind)
      await new Promise<void>((resolve) => {
        const done = () => { call.off('drain', done); call.off('close', done); resolve(); };
        call.on('drain', done);
        call.on('close', done);
      });
    });
    this.writeQueue = next.catch(() => {});
    return next;
  }
}

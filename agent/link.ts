// The agent's link to the controller: one bidirectional stream, dialled out.
// Reports are numbered and kept in a bounded spool until the controller acks
// them, so an outage loses nothing the spool can hold and a reconnect resends
// what is missing (the controller drops duplicates). Reconnects back off
// exponentially with jitter so a fleet does not return in one instant.
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
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

export const CLIENT_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  // keepalive notices a dead controller or a silently dropped NAT mapping
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  // Firebreak replays reports itself from its spool; transparent retries would duplicate
  'grpc.enable_retries': 0,
};

export interface LinkOptions {
  address: string;
  credentials?: grpc.ChannelCredentials;
  log: Logger;
  /** the Hello to send on every (re)connect; the link fills boot id and time */
  hello: () => Omit<Hello, 'bootId' | 'sentAtMs'>;
  heartbeat: () => Omit<Heartbeat, 'sentAtMs' | 'lastSeq'>;
  onCommand: (cmd: Command__Output) => Promise<CommandResult>;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  maxSpool?: number;
  random?: () => number;
  /** the agent's clock, for the times it stamps (Hello, heartbeat); the simulator skews it per host */
  now?: () => number;
}

export class Link {
  readonly bootId = randomUUID();
  private client: AgentLinkClient;
  private call: grpc.ClientDuplexStream<AgentFrame, ControllerFrame__Output> | undefined;
  private welcomed = false;
  private seq = 0;
  private spool: (Report & { seq: number })[] = [];
  private dropped = 0;
  private attempt = 0;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatMs = 5000;
  private writeQueue: Promise<void> = Promise.resolve();
  private ackWaiters = new Map<number, () => void>();
  private lastAcked = 0;
  private readonly rand: () => number;

  constructor(private readonly opts: LinkOptions) {
    const pkg = firebreakPackage();
    this.client = new pkg.AgentLink(opts.address, opts.credentials ?? grpc.credentials.createInsecure(), CLIENT_OPTIONS);
    this.rand = opts.random ?? Math.random;
  }

  get connected(): boolean {
    return this.welcomed;
  }

  get spooled(): number {
    return this.spool.length;
  }

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeatTimer);
    this.call?.end();
    this.call?.cancel();
    this.client.close();
  }

  /** Numbers a report, spools it and sends it when the stream is up. */
  report(body: Omit<Report, 'seq'>): number {
    const r = { ...body, seq: ++this.seq };
    this.spool.push(r);
    const max = this.opts.maxSpool ?? 1000;
    if (this.spool.length > max) {
      // oldest first: the newest reports matter most when the link returns
      this.spool.splice(0, this.spool.length - max);
      if (++this.dropped % 100 === 1) this.opts.log.warn({ dropped: this.dropped }, 'report spool full while the controller is away; oldest reports dropped');
    }
    if (this.welcomed) void this.write({ report: r });
    return r.seq;
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

  /** Sends a heartbeat now (also used after a state change). */
  heartbeatNow(): void {
    if (!this.welcomed) return;
    void this.write({ heartbeat: { ...this.opts.heartbeat(), sentAtMs: (this.opts.now ?? Date.now)(), lastSeq: this.seq } });
  }

  sendResult(result: CommandResult): void {
    if (this.welcomed) void this.write({ commandResult: result });
  }

  private connect(): void {
    if (this.stopped) return;
    const { log } = this.opts;
    const call = this.client.Connect();
    this.call = call;
    this.welcomed = false;
    this.writeQueue = Promise.resolve();
    call.on('data', (frame: ControllerFrame__Output) => this.onFrame(call, frame));
    call.on('error', (err: grpc.ServiceError) => {
      if (this.stopped) return;
      log.warn({ code: grpc.status[err.code], details: err.details }, 'link to controller failed');
    });
    call.on('close', () => this.onClosed(call));
    call.on('end', () => this.onClosed(call));
    void this.write({ hello: { ...this.opts.hello(), bootId: this.bootId, sentAtMs: (this.opts.now ?? Date.now)() } }, call);
  }

  private onClosed(call: grpc.ClientDuplexStream<AgentFrame, ControllerFrame__Output>): void {
    if (this.call !== call) return;
    this.call = undefined;
    this.welcomed = false;
    clearInterval(this.heartbeatTimer);
    if (this.stopped) return;
    // exponential backoff, capped, with jitter so a fleet does not reconnect in one instant
    const initial = this.opts.backoffInitialMs ?? 1000;
    const cap = this.opts.backoffMaxMs ?? 30_000;
    const ceiling = Math.min(cap, initial * 2 ** this.attempt);
    const delay = Math.round(ceiling / 2 + (this.rand() * ceiling) / 2);
    this.attempt++;
    this.opts.log.info({ delayMs: delay, attempt: this.attempt, spooled: this.spool.length }, 'reconnecting to controller');
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private onFrame(call: grpc.ClientDuplexStream<AgentFrame, ControllerFrame__Output>, frame: ControllerFrame__Output): void {
    switch (frame.body) {
      case 'welcome': {
        const w = frame.welcome!;
        this.welcomed = true;
        this.attempt = 0;
        this.heartbeatMs = w.heartbeatIntervalMs || this.heartbeatMs;
        this.dropAcked(w.lastSeq);
        this.opts.log.info({ controller: this.opts.address, resend: this.spool.length, heartbeatMs: this.heartbeatMs }, 'connected to controller');
        for (const r of this.spool) void this.write({ report: r }, call);
        clearInterval(this.heartbeatTimer);
        this.heartbeatTimer = setInterval(() => this.heartbeatNow(), this.heartbeatMs);
        this.heartbeatNow();
        break;
      }
      case 'ack':
        if (frame.ack!.bootId === this.bootId) this.dropAcked(frame.ack!.seq);
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

  private dropAcked(seq: number): void {
    if (seq > this.lastAcked) this.lastAcked = seq;
    while (this.spool.length > 0 && this.spool[0]!.seq <= seq) this.spool.shift();
    for (const [s, resolve] of this.ackWaiters) {
      if (s <= seq) { this.ackWaiters.delete(s); resolve(); }
    }
  }

  /** Writes in order; when the stream says its buffer is full, waits for drain. */
  private write(frame: AgentFrame, call = this.call): Promise<void> {
    if (!call) return Promise.resolve();
    const next = this.writeQueue.then(async () => {
      if (call !== this.call) return;
      if (!call.write(frame)) await Promise.race([once(call, 'drain'), once(call, 'close')]);
    });
    this.writeQueue = next.catch(() => {});
    return next;
  }
}

// A simulated outbreak against a REAL controller process: synthetic agents
// enroll through the real Enrollment RPC (the harness's token), hold a real
// mutual-TLS AgentLink stream each, and report a worm's trace: a new binary and
// a first-ever SMTP connection per host, with the contacts of a spread chain
// (A's OUT to B on tcp/25 and B's IN from A, before B's onset), so the
// controller's spread graph names patient zero and the incident is propagating.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ensureIdentity, linkCredentials } from '../../agent/trust/enroll.ts';
import type { AgentFrame, AgentLinkClient, Contact, ControllerFrame__Output } from '../../proto/wire.ts';
import { firebreakPackage } from '../../proto/wire.ts';
import { pino } from 'pino';
import { eventually, type ControllerProc } from '../helpers/procs.ts';

// not helpers/inproc's: that module loads the whole controller, which this process does not run
const silent = pino({ level: 'silent' });

export const WORM_SHA = 'be'.repeat(32);
/** Enrollments at once (the real agent enrolls beside them). */
const ENROLL_BATCH = 4;

interface SynthAgent {
  id: string;
  address: string;
  client: AgentLinkClient;
  call: ReturnType<AgentLinkClient['Connect']>;
  seq: number;
  frames: ControllerFrame__Output[];
  /** why the stream ended, if it did */
  ended?: string;
}

export interface Outbreak {
  hosts: string[];
  /** Plays the spread: patient zero first, each next host contacted by an infected one just before its onset. */
  spread(stepMs?: number): Promise<void>;
  close(): void;
}

/** `chain[i]` is the index of the host that infected host i (null: patient zero). */
export async function connectOutbreak(ctl: ControllerProc, dir: string, ids: string[], chain: (number | null)[]): Promise<Outbreak> {
  const agents: SynthAgent[] = [];
  const connect = async (id: string, i: number) => {
    const { identity } = await ensureIdentity({
      dataDir: join(dir, id), agentId: id, enrollAddress: ctl.enrollAddress, token: ctl.enrollToken, caPin: ctl.caFingerprint,
      inventory: { hostname: id, os: 'linux', kernel: '6', cpuModel: 'x', cpuCores: 2, memoryBytes: 1024, ipAddresses: [], agentVersion: 't', tags: {} }, log: silent,
    });
    const client = new (firebreakPackage().AgentLink)(ctl.agentAddress, linkCredentials(identity));
    const call = client.Connect();
    const a: SynthAgent = { id, address: `10.66.0.${i + 1}`, client, call, seq: 0, frames: [] };
    call.on('data', (f: ControllerFrame__Output) => a.frames.push(f));
    call.on('error', (err: Error) => { a.ended = err.message; });
    call.on('end', () => { a.ended ??= 'the controller closed the stream'; });
    call.write({ hello: { agentId: id, bootId: randomBytes(8).toString('hex'), backend: 'DRY_RUN', sentAtMs: Date.now(),
      inventory: { hostname: id, os: 'linux', kernel: '6', cpuModel: 'x', cpuCores: 2, memoryBytes: 1024, ipAddresses: [a.address], agentVersion: 't', tags: {} } } });
    await eventually(async () => a.frames.some((f) => f.welcome), 10_000, `welcome for ${id}`, 20);
    agents[i] = a;
  };
  // a few at a time: they all dial from 127.0.0.1, and the enrollment port takes 8 connections per address
  for (let i = 0; i < ids.length; i += ENROLL_BATCH) await Promise.all(ids.slice(i, i + ENROLL_BATCH).map((id, j) => connect(id, i + j)));
  // heartbeats keep the synthetic hosts online for the fleet page
  const beat = setInterval(() => { for (const a of agents) a.call.write({ heartbeat: { sentAtMs: Date.now(), lastSeq: a.seq } }); }, 500);

  const report = (a: SynthAgent, contacts: Contact[], events: boolean) => {
    const now = Date.now();
    const frame: AgentFrame = { report: { seq: ++a.seq, sample: { observedAtMs: now, intervalS: 1, contacts, contactsTracked: true },
      events: events ? [
        { kind: 'PROCESS_NEW', signature: `proc.new/sha256:${WORM_SHA}`, value: 1, baseline: 0, score: 12, count: 1, observedAtMs: now,
          evidence: { detail: 'new binary', processes: [{ pid: 4242, name: 'mailer', exe: '/tmp/.x/mailer', sha256: WORM_SHA }], remotes: [] } },
        { kind: 'CONN_NEW_PORT', signature: 'conn.new-port/tcp:25', value: 1, baseline: 0, score: 8, count: 1, observedAtMs: now,
          evidence: { detail: 'first connection to tcp/25', processes: [], remotes: [{ address: '10.66.0.200', port: 25, protocol: 'tcp', state: 'ESTABLISHED' }] } },
      ] : [] } };
    a.call.write(frame);
  };

  return {
    hosts: ids,
    async spread(stepMs = 250) {
      // every agent traces contacts: an empty list says "none new"
      for (const a of agents) report(a, [], false);
      for (const [i, a] of agents.entries()) {
        const by = chain[i];
        if (by !== null && by !== undefined) {
          const src = agents[by]!;
          const at = Date.now();
          report(src, [{ direction: 'OUT', protocol: 'tcp', remoteAddress: a.address, port: 25, firstSeenMs: at }], false);
          report(a, [{ direction: 'IN', protocol: 'tcp', remoteAddress: src.address, port: 25, firstSeenMs: at }], false);
          await new Promise((r) => setTimeout(r, 50));
        }
        report(a, [], true);
        await new Promise((r) => setTimeout(r, stepMs));
      }
      // every report stored (acked), or say which stream broke: a lost report would show only as a missing incident
      await eventually(async () => {
        const broken = agents.find((a) => a.ended);
        if (broken) throw new Error(`${broken.id}'s stream ended: ${broken.ended}`);
        return agents.every((a) => a.frames.some((f) => f.ack && f.ack.seq >= a.seq));
      }, 15_000, 'the controller to ack every synthetic report', 50);
    },
    close() {
      clearInterval(beat);
      for (const a of agents) { a.call.cancel(); a.client.close(); }
    },
  };
}

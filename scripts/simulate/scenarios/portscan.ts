// portscan: benign. One host (an inventory or vulnerability scanner run by the
// operators) sweeps the fleet on a few service ports, about 60 connections a
// second, most to closed ports. One host's fan-out, and IN contacts on every
// host it reaches, but nothing spreads: at most a host alert, never a fleet
// incident, and nothing isolated or blocked.
import type { SimHost } from '../fleet.ts';
import { connect } from '../net.ts';
import type { Scenario, ScenarioContext, ScenarioTruth } from '../scenario.ts';
import { fakeHash } from '../synthetic-sampler.ts';

const PORTS = [22, 25, 80, 443, 3389, 5432, 8080];
const PER_S = 60;

export class PortscanScenario implements Scenario {
  readonly name = 'portscan';
  readonly description = 'benign: one host sweeps the fleet on 7 service ports, 60 connections a second, most to closed ports';
  readonly defaultDurationMs = 60_000;
  private scanner: SimHost | undefined;
  private startedAt = 0;
  private next = 0;
  private credit = 0;
  private refused = 0;

  start(ctx: ScenarioContext, now: number): void {
    this.scanner = ctx.hosts[Math.floor(ctx.random() * ctx.hosts.length)]!;
    this.startedAt = now;
    this.scanner.sampler.setEffect('portscan', {
      process: { name: 'nmap', exe: '/usr/bin/nmap', sha256: fakeHash(`portscan:nmap:${this.scanner.id}`), cpuPct: 12, user: 'secops' },
    });
  }

  tick(ctx: ScenarioContext, now: number, dtMs: number): void {
    const s = this.scanner;
    if (!s || ctx.hosts.length < 2) return;
    this.credit += (PER_S * dtMs) / 1000;
    for (; this.credit >= 1; this.credit--) {
      const k = this.next++;
      let target = ctx.hosts[Math.floor(k / PORTS.length) % ctx.hosts.length]!;
      if (target === s) target = ctx.hosts[(target.index + 1) % ctx.hosts.length]!;
      const port = PORTS[k % PORTS.length]!;
      const closed = !target.sampler.profile.listening.includes(port);
      if (closed) this.refused++;
      connect(ctx, s, target.ip, port, now, { metrics: true, refused: closed });
    }
  }

  truth(): ScenarioTruth {
    return {
      expect: { masterAlert: false },
      affected: this.scanner ? [{ hostId: this.scanner.id, atMs: this.startedAt, by: null }] : [],
      extra: { scanner: this.scanner?.id ?? null, connections: this.next, refused: this.refused, ports: PORTS.join(',') },
    };
  }
}

export default (): Scenario => new PortscanScenario();

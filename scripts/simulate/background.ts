// Benign background contacts, in every scenario, so a spread graph is never
// trivially clean: hosts now and then talk to a few shared servers inside the
// fleet (databases on 5432, web front ends on 443, the mail relays on 25 for
// the mail hosts) and to a few shared outside services (DNS, NTP, a package
// mirror, APIs), plus now and then a random outside address. Each host makes
// one such connection every 30 s on average; contact tracing lists it only
// when that (remote, port) was not used for 10 minutes, so first-seen contacts
// come now and then, more at the start of a run than later. Routine traffic:
// it adds contacts only, not the connection metrics the profile already has.
import type { SimHost } from './fleet.ts';
import { connect, type NetContext } from './net.ts';
import { derive, type Rand } from './rng.ts';
import { publicAddress } from './synthetic-sampler.ts';

const MEAN_GAP_MS = 30_000;
/** shared outside services: every host uses some of them */
const OUTSIDE: { address: string; port: number }[] = [
  { address: '9.9.9.9', port: 53 }, { address: '162.159.200.1', port: 123 }, { address: '151.101.2.132', port: 443 },
  { address: '140.82.112.3', port: 443 }, { address: '52.94.236.248', port: 443 },
];
const SERVICE_PORT: Record<string, number> = { db: 5432, web: 443, mail: 25 };

export class Background {
  private readonly r: Rand;
  private readonly servers: SimHost[];
  private readonly next: number[];

  constructor(private readonly hosts: readonly SimHost[], seed: number, now: number) {
    this.r = derive(seed, 'background-contacts');
    // a few shared servers: up to 4 of each role that serves the others
    this.servers = ['db', 'web', 'mail'].flatMap((role) => hosts.filter((h) => h.role === role).slice(0, 4));
    this.next = hosts.map(() => now + this.gap());
  }

  private gap(): number {
    return -Math.log(1 - this.r()) * MEAN_GAP_MS;
  }

  tick(ctx: NetContext, now: number): void {
    const r = this.r;
    for (let i = 0; i < this.hosts.length; i++) {
      if (this.next[i]! > now) continue;
      this.next[i] = now + this.gap();
      const h = this.hosts[i]!;
      const x = r();
      if (x < 0.5 && this.servers.length > 0) {
        const s = this.servers[Math.floor(r() * this.servers.length)]!;
        const port = SERVICE_PORT[s.role]!;
        // only mail hosts relay mail to each other; others use their usual service ports
        if (s === h || (port === 25 && h.role !== 'mail')) continue;
        connect(ctx, h, s.ip, port, now);
      } else if (x < 0.85) {
        const o = OUTSIDE[Math.floor(r() * OUTSIDE.length)]!;
        connect(ctx, h, o.address, o.port, now);
      } else {
        connect(ctx, h, publicAddress(r), 443, now);
      }
    }
  }
}

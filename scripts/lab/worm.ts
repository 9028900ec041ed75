// The lab's benign worms: how fast they go, and the stamping of the template
// (scripts/lab/worm/worm.cjs) into the one file every copy of an outbreak is.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const TEMPLATE = fileURLToPath(new URL('./worm/worm.cjs', import.meta.url));
export const APP_V2 = fileURLToPath(new URL('./host/app-v2.cjs', import.meta.url));

export type WormKind = 'mailer' | 'scanner';

export interface WormTuning {
  port: number;
  /** delivery attempts per second per infected host */
  ratePerS: number;
  /** chance that one delivery to a not yet infected host infects it (the service decides) */
  p: number;
  maxInflight: number;
  connectTimeoutMs: number;
  /** greeting of the vulnerable service */
  greeting: string;
}

/**
 * Tuned so that without Firebreak the infected hosts double about every 10 s
 * (mailer) and about every 5 s (scanner) while most hosts are still clean:
 * growth per infected host per second = rate × (share of attempts that reach a
 * live service) × p ≈ ln 2 / doubling.
 *   mailer:  5/s to random peers (all live)          × 0.02  ≈ 0.10/s → ~7 s
 *   scanner: 10/s to random addresses of the /24 (24 of 253 live) × 0.15 ≈ 0.14/s → ~5 s
 * The lab prints the doubling time it measured from the truth log beside them:
 * a least-squares fit up to half the fleet, which runs slower than ln 2 / rate
 * (the first copy waits 1/rate, not ln 2/rate, for its first victim on average,
 * and fewer peers are clean as the fleet fills): measured ~10 s (mailer) and ~6 s
 * (scanner) on 24 hosts.
 */
export const WORMS: Record<WormKind, WormTuning> = {
  mailer: { port: 25, ratePerS: 5, p: 0.02, maxInflight: 10, connectTimeoutMs: 3000, greeting: '220' },
  scanner: { port: 445, ratePerS: 10, p: 0.15, maxInflight: 40, connectTimeoutMs: 1000, greeting: '\u0000SMB' },
};

/** Hard lifetime of one worm copy. */
export const WORM_LIFETIME_MS = 150_000;

/**
 * Writes the outbreak's worm: the template with the lab's addresses and limits
 * stamped in. Every target must be in the lab's private prefix.
 */
export function stampWorm(kind: WormKind, out: string, lab: {
  prefix: string; targets: string[]; self: Record<string, string>; deadlineMs: number;
}, tuning: WormTuning = WORMS[kind]): string {
  if (!/^10\.\d+\.\d+\.$/.test(lab.prefix)) throw new Error(`lab prefix ${lab.prefix} is not a 10.x.y. private prefix`);
  const bad = lab.targets.find((a) => !a.startsWith(lab.prefix));
  if (bad) throw new Error(`worm target ${bad} is outside the lab prefix ${lab.prefix}`);
  const config = {
    kind, port: tuning.port, ratePerS: tuning.ratePerS, maxInflight: tuning.maxInflight, connectTimeoutMs: tuning.connectTimeoutMs,
    lifetimeMs: WORM_LIFETIME_MS, deadlineMs: lab.deadlineMs, prefix: lab.prefix, targets: lab.targets, self: lab.self,
  };
  const text = readFileSync(TEMPLATE, 'utf8');
  const marker = /\/\*LAB-CONFIG\*\/ null \/\*END-LAB-CONFIG\*\//;
  if (!marker.test(text)) throw new Error(`${TEMPLATE}: the LAB-CONFIG marker is missing`);
  writeFileSync(out, text.replace(marker, `/*LAB-CONFIG*/ ${JSON.stringify(config)} /*END-LAB-CONFIG*/`), { mode: 0o644 });
  return out;
}

// Seeded randomness for the simulator, so a run with the same --seed makes the
// same fleet, picks the same patient zero and the same infection targets.

export type Rand = () => number;

/** mulberry32: small, fast, good enough for a simulation (not for secrets). */
export function seeded(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A child generator derived from a parent and a label, so adding hosts does not reshuffle others. */
export function derive(seed: number, label: string): Rand {
  let h = seed >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return seeded(h);
}

export function normal(r: Rand, mean = 0, sd = 1): number {
  // Box-Muller; 1 - r() keeps log away from 0
  const u = 1 - r();
  const v = r();
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function uniform(r: Rand, lo: number, hi: number): number {
  return lo + (hi - lo) * r();
}

export function int(r: Rand, lo: number, hiExclusive: number): number {
  return lo + Math.floor(r() * (hiExclusive - lo));
}

export function pick<T>(r: Rand, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/** k distinct indices out of n (k ≤ n), in random order. */
export function sample(r: Rand, n: number, k: number): number[] {
  const chosen = new Set<number>();
  while (chosen.size < Math.min(k, n)) chosen.add(Math.floor(r() * n));
  return [...chosen];
}

export const clamp = (x: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, x));

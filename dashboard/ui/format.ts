// Small text helpers shared by the pages.
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Natural order: fbh2 before fbh10. */
export const naturalCompare = (a: string, b: string): number => collator.compare(a, b);

export function ago(ms: number | null | undefined, now = Date.now()): string {
  if (!ms) return '-';
  const s = Math.round((now - ms) / 1000);
  if (s < 0) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

export function time(ms: number | null | undefined): string {
  if (!ms) return '-';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export const lower = (s: string | null | undefined): string => (s ?? '').toLowerCase().replace(/_/g, '-');

export function ports(ranges: readonly { from: number; to: number }[]): string {
  return ranges.map((r) => (r.from === r.to ? String(r.from) : `${r.from}-${r.to}`)).join(',');
}

/** A preview's change as one line: {target, what, from, to}, or text. */
export function changeText(c: unknown): string {
  if (typeof c === 'string') return c;
  const x = c as { target?: unknown; what?: unknown; from?: unknown; to?: unknown } | null;
  if (x && typeof x.target === 'string' && typeof x.what === 'string') {
    return `${x.target}: ${x.what} ${String(x.from ?? '-')} → ${String(x.to ?? '-')}`;
  }
  if (c && typeof c === 'object') {
    return Object.entries(c as Record<string, unknown>)
      .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(', ');
  }
  return String(c);
}

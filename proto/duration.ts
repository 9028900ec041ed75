// Durations as operators write them: "500ms", "90s", "15m", "24h", "7d", or a
// sum like "1h30m". One grammar for the CLIs, playbooks and tokens; a bare
// number is refused (is "24" seconds or hours?).
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_RE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDurationMs(text: string): number | undefined {
  const t = text.trim();
  if (!DURATION_RE.test(t)) return undefined;
  let ms = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) ms += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return Math.round(ms);
}

/** Milliseconds; throws with what to write instead. */
export function parseDuration(text: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) throw new Error(`duration '${text}' is malformed: give a number and a unit, e.g. 500ms, 90s, 15m, 24h, 7d or 1h30m`);
  return ms;
}

/** The shortest exact text for a duration, as operators write it: 5000 → "5s", 5400000 → "1h30m". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return String(ms);
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let text = '';
  for (const [unit, size] of [['d', UNIT_MS.d], ['h', UNIT_MS.h], ['m', UNIT_MS.m], ['s', UNIT_MS.s], ['ms', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) { text += `${n}${unit}`; rest -= n * size; }
  }
  return text;
}

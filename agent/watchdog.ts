// The agent watches itself, as osquery's watchdog does: if its own CPU stays
// above a limit for a window, or its memory grows too far above its size at
// start, it sheds work (the agent lengthens its intervals and cuts evidence)
// and says so in its heartbeat; it recovers once it has been calm for a window.
// The logic takes readings as arguments (testable with synthetic ones);
// ProcessReadings reads the real process.
import type { AgentHealth__Output } from '../proto/wire.ts';

export interface WatchdogConfig {
  /** Own CPU, percent of one core, averaged over windowMs. Default 10. */
  cpuPctOfCore: number;
  /** Window over which CPU must stay above the limit. Default 12 s. */
  windowMs: number;
  /** RSS growth above the first reading. Default 200 MB. */
  rssGrowthBytes: number;
}

export const DEFAULT_WATCHDOG: WatchdogConfig = {
  cpuPctOfCore: 10,
  windowMs: 12_000,
  rssGrowthBytes: 200 * 1024 * 1024,
};

export interface Reading {
  atMs: number;
  /** Cumulative CPU time of this process (user + system), microseconds, as process.cpuUsage(). */
  cpuMicros: number;
  rssBytes: number;
}

export class Watchdog {
  readonly config: WatchdogConfig;
  private readings: Reading[] = [];
  private startRss: number | undefined;
  private _shedding = false;
  private calmSinceMs: number | undefined;
  private hotSinceMs: number | undefined;
  private prev: Reading | undefined;
  private health: AgentHealth__Output = { cpuPctOfCore: 0, rssBytes: 0, shedding: false, note: '' };

  constructor(config: Partial<WatchdogConfig> = {}) {
    this.config = { ...DEFAULT_WATCHDOG, ...config };
  }

  get shedding(): boolean {
    return this._shedding;
  }

  /** Feed one reading (every few seconds); returns the health to put in the heartbeat. */
  observe(r: Reading): AgentHealth__Output {
    const c = this.config;
    this.startRss ??= r.rssBytes;
    this.readings.push(r);
    // Keep just enough history to span the window.
    while (this.readings.length > 2 && this.readings[1]!.atMs <= r.atMs - c.windowMs) this.readings.shift();
    const first = this.readings[0]!;
    const span = r.atMs - first.atMs;
    const cpuPct = span > 0 ? ((r.cpuMicros - first.cpuMicros) / 1000 / span) * 100 : 0;
    // "Above the limit for the window": every reading's rate since the previous one stays above it.
    const prev = this.prev;
    this.prev = r;
    const instant = prev && r.atMs > prev.atMs ? ((r.cpuMicros - prev.cpuMicros) / 1000 / (r.atMs - prev.atMs)) * 100 : 0;
    if (instant > c.cpuPctOfCore) this.hotSinceMs ??= prev?.atMs ?? r.atMs;
    else this.hotSinceMs = undefined;
    const growth = r.rssBytes - this.startRss;
    const cpuHot = this.hotSinceMs !== undefined && r.atMs - this.hotSinceMs >= c.windowMs;
    const memHot = growth > c.rssGrowthBytes;
    let note = '';
    if (cpuHot || memHot) {
      this._shedding = true;
      this.calmSinceMs = undefined;
      note = cpuHot
        ? `own CPU above ${c.cpuPctOfCore}% of a core for ${((r.atMs - (this.hotSinceMs ?? r.atMs)) / 1000).toFixed(0)} s (${cpuPct.toFixed(1)}% on average): shedding work`
        : `own RSS ${(growth / 1048576).toFixed(0)} MB above start (limit ${(c.rssGrowthBytes / 1048576).toFixed(0)} MB): shedding work`;
    } else if (this._shedding) {
      // Recover only after a calm window, so it does not flap at the limit.
      this.calmSinceMs ??= r.atMs;
      if (r.atMs - this.calmSinceMs >= c.windowMs) {
        this._shedding = false;
        this.calmSinceMs = undefined;
        note = 'calm again: normal intervals and evidence';
      } else note = 'calming: still shedding work';
    }
    this.health = { cpuPctOfCore: round2(cpuPct), rssBytes: r.rssBytes, shedding: this._shedding, note };
    return this.health;
  }

  /** The last health computed, for Heartbeat.health. */
  current(): AgentHealth__Output {
    return this.health;
  }
}

/** Readings of this Node process. */
export function readProcess(now: () => number = Date.now): Reading {
  const u = process.cpuUsage();
  return { atMs: now(), cpuMicros: u.user + u.system, rssBytes: process.memoryUsage.rss() };
}

/**
 * Samples this process every periodMs and keeps a Watchdog fed; onChange is
 * called when shedding starts or stops.
 */
export class ProcessWatchdog {
  readonly watchdog: Watchdog;
  private timer: NodeJS.Timeout | undefined;

  constructor(config: Partial<WatchdogConfig> = {}, periodMs = 2000, onChange?: (shedding: boolean, health: AgentHealth__Output) => void) {
    this.watchdog = new Watchdog(config);
    this.watchdog.observe(readProcess());
    this.timer = setInterval(() => {
      const before = this.watchdog.shedding;
      const h = this.watchdog.observe(readProcess());
      if (h.shedding !== before) onChange?.(h.shedding, h);
    }, periodMs);
    this.timer.unref();
  }

  health(): AgentHealth__Output {
    return this.watchdog.current();
  }

  get shedding(): boolean {
    return this.watchdog.shedding;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

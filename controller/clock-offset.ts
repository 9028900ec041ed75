// One agent's clock offset (agent clock minus controller clock), estimated from
// the times the agent stamps on what it sends. Each sample, stamped time minus
// arrival time, is the offset minus that frame's transit and queueing delay,
// and a delay is never negative: so the largest recent sample is the closest
// to the truth (the minimum-delay filter of NTP). An average would carry every
// queue in front of a frame into the offset, and with it into every onset: when
// 5,000 agents connected at once, Hellos waited up to 26 s, a smoothed mean kept
// most of that for a minute, and the worm's first hosts looked as if they had
// started within 5 s of each other (simultaneous, not propagating).
//
// The window forgets: a clock stepped back by NTP is followed within windowMs.

export interface ClockOffsetOptions {
  /** How long a sample counts. Default 60 s. */
  windowMs?: number;
  /** Samples are kept as one maximum per slot of this length. Default 10 s. */
  slotMs?: number;
}

export class ClockOffset {
  private readonly windowMs: number;
  private readonly slotMs: number;
  /** per slot (oldest first): its start on the controller's clock and its largest sample */
  private slots: Array<{ startMs: number; max: number }> = [];
  private best = 0;

  constructor(opts: ClockOffsetOptions = {}) {
    this.windowMs = opts.windowMs ?? 60_000;
    this.slotMs = opts.slotMs ?? 10_000;
  }

  /** The current estimate in ms; 0 before any sample. */
  get value(): number {
    return this.best;
  }

  /** Adds one sample: a time the agent stamped (its clock) and when it arrived (ours). Ignores a missing stamp (0). */
  add(agentMs: number, arrivedMs: number): void {
    if (!(agentMs > 0) || !Number.isFinite(agentMs)) return;
    const d = agentMs - arrivedMs;
    const start = arrivedMs - (arrivedMs % this.slotMs);
    const last = this.slots[this.slots.length - 1];
    if (last && last.startMs === start) {
      if (d <= last.max) return;
      last.max = d;
    } else {
      this.slots.push({ startMs: start, max: d });
    }
    this.refresh(arrivedMs);
  }

  private refresh(nowMs: number): void {
    const cutoff = nowMs - this.windowMs;
    while (this.slots.length > 1 && this.slots[0]!.startMs + this.slotMs <= cutoff) this.slots.shift();
    let best = -Infinity;
    for (const s of this.slots) if (s.max > best) best = s.max;
    this.best = best;
  }
}

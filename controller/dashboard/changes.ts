// What changed, for the dashboard's live updates. The controller's change points
// (a host online or offline, an alert transition, a command's status, a playbook
// run's journal, the audit head) call notify(kind, id): a Set add and, at most once
// per kind per 250 ms, a timer. With nobody listening it returns at once, so the
// ingest path pays nothing when no dashboard is open.
export const CHANGE_KINDS = ['hosts', 'alerts', 'runs', 'commands', 'audit'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** at most one event per kind per this long */
export const COALESCE_MS = 250;
/** ids carried in one event; past it the event says `more` and the page refetches everything */
export const MAX_IDS = 100;

export interface Change {
  ids: string[];
  more?: true;
}

type Listener = (kind: ChangeKind, change: Change) => void;

export class ChangeFeed {
  private readonly listeners = new Set<Listener>();
  private readonly pending = new Map<ChangeKind, { ids: Set<string>; more: boolean; timer: NodeJS.Timeout }>();

  constructor(private readonly coalesceMs = COALESCE_MS) {}

  get listening(): boolean {
    return this.listeners.size > 0;
  }

  notify(kind: ChangeKind, id?: string): void {
    if (this.listeners.size === 0) return;
    let p = this.pending.get(kind);
    if (!p) {
      const timer = setTimeout(() => this.flush(kind), this.coalesceMs);
      timer.unref();
      p = { ids: new Set(), more: false, timer };
      this.pending.set(kind, p);
    }
    if (id === undefined) return;
    if (p.ids.size < MAX_IDS) p.ids.add(id);
    else if (!p.ids.has(id)) p.more = true;
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  close(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    this.listeners.clear();
  }

  private flush(kind: ChangeKind): void {
    const p = this.pending.get(kind);
    if (!p) return;
    this.pending.delete(kind);
    const change: Change = { ids: [...p.ids] };
    if (p.more) change.more = true;
    for (const fn of this.listeners) fn(kind, change);
  }
}

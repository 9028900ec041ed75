// The engine's state in the store as it changes, one row per run and per action (not a
// snapshot of every run on each change): the parts mark what they change (touch() in
// engine-state.ts), execute() writes the marks before a pass issues any command and once
// its commands answered, and a restart rebuilds the runs, their pending lifts and
// expiries and the blast-radius windows from those rows.
//
// A run's row holds the run without its actions and without the hosts of its `handled`
// lists: every handled host has an action row, so they are rebuilt from those; only the
// step-wide markers ('*', '*simultaneous', '*skip…') are kept in the run's row. A worm
// on 5,000 hosts then writes each action once or twice, not a 5,000-host list per pass.
import type { RunJournal, StoredRuns } from '../store/store.ts';
import { emptyJournal, type EngineState } from './engine-state.ts';
import type { EngineSnapshot, PlaybookRun, RunAction } from './records.ts';

export const RUN_SEQ_COUNTER = 'playbook_run_seq';

/** Takes the marks made since the last write; null when nothing changed. */
export function takeJournal(s: EngineState): RunJournal | null {
  const j = s.journal;
  if (j.runs.size === 0 && j.actions.size === 0 && j.isolations.length === 0 && j.deleted.length === 0) return null;
  s.journal = emptyJournal();
  const deleted = new Set(j.deleted);
  return {
    runs: [...j.runs].filter((r) => !deleted.has(r.id)).map((r) => ({
      id: r.id, playbook: r.playbook, status: r.status, startedAtMs: r.startedAtMs, updatedAtMs: r.updatedAtMs, body: JSON.stringify(runHeader(r)),
    })),
    actions: [...j.actions].filter(([, r]) => !deleted.has(r.id)).map(([a, r]) => ({ runId: r.id, seq: a.seq, body: JSON.stringify(a) })),
    isolations: j.isolations,
    deletedRuns: j.deleted,
    counters: [[RUN_SEQ_COUNTER, s.seq]],
  };
}

/** Writes the marks through the persist port. A failed write is logged: the commands still go out (the store refuses them too when it is down). */
export async function commitJournal(s: EngineState): Promise<void> {
  const persist = s.ports.persist;
  if (!persist) {
    s.journal = emptyJournal();
    return;
  }
  const j = takeJournal(s);
  if (!j) return;
  try {
    await persist(j);
  } catch (err) {
    s.log?.error({ err, runs: j.runs.map((r) => r.id) }, 'writing playbook runs to the store failed: a restart now would not know these actions; check the disk and the store');
  }
}

/** Marks every run changed (a one-time move from the old snapshot into rows). */
export function journalAll(s: EngineState): void {
  for (const r of s.runs.values()) {
    s.journal.runs.add(r);
    for (const a of r.actions) s.journal.actions.set(a, r);
  }
  // the global window is rebuilt from every row, each playbook's from its own
  for (const [pb, w] of s.byPlaybook) for (const atMs of w.toJSON()) s.journal.isolations.push({ playbook: pb, atMs });
}

function runHeader(r: PlaybookRun): Omit<PlaybookRun, 'actions'> {
  const { actions: _actions, handled, ...rest } = r;
  const markers: Record<string, string[]> = {};
  for (const [step, keys] of Object.entries(handled)) {
    const m = keys.filter((k) => k.startsWith('*'));
    if (m.length > 0) markers[step] = m;
  }
  return { ...rest, handled: markers };
}

/** The stored rows as an engine snapshot (for restoreState), with each run's handled lists rebuilt. */
export function snapshotFromRows(stored: StoredRuns, seq: number, overrides: Record<string, boolean>): EngineSnapshot {
  const runs: PlaybookRun[] = stored.runs.map(({ body, actions }) => {
    const header = JSON.parse(body) as Omit<PlaybookRun, 'actions'>;
    const acts = actions.map((a) => JSON.parse(a) as RunAction).sort((x, y) => x.seq - y.seq);
    const handled: Record<string, string[]> = {};
    const seen = new Set<string>();
    for (const [step, m] of Object.entries(header.handled ?? {})) handled[step] = [...m];
    for (const a of acts) {
      if (!a.hostId || seen.has(`${a.step}\0${a.hostId}`)) continue;
      seen.add(`${a.step}\0${a.hostId}`);
      (handled[String(a.step)] ??= []).push(a.hostId);
    }
    return { ...header, handled, actions: acts };
  });
  const byPlaybook: Record<string, number[]> = {};
  const global: number[] = [];
  for (const i of stored.isolations) {
    global.push(i.atMs);
    (byPlaybook[i.playbook] ??= []).push(i.atMs);
  }
  return { version: 1, seq, runs, overrides, isolations: { global, byPlaybook } };
}

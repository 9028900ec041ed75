// The engine's state as plain JSON (EngineSnapshot) and back: runs, operator
// overrides and the blast-radius windows. The indexes (latest run per alert, isolated
// hosts, pending expiries) are rebuilt from the runs rather than stored.
import { releasePending, touch, type EngineState } from './engine-state.ts';
import { SlidingCount } from './guards.ts';
import type { EngineSnapshot } from './records.ts';

export function snapshotState(s: EngineState): EngineSnapshot {
  const byPlaybook: Record<string, number[]> = {};
  for (const [k, w] of s.byPlaybook) byPlaybook[k] = w.toJSON();
  return {
    version: 1,
    seq: s.seq,
    runs: [...s.runs.values()].map((r) => structuredClone(r)),
    overrides: Object.fromEntries(s.overrides),
    isolations: { global: s.globalWindow.toJSON(), byPlaybook },
  };
}

/** Loads a checked snapshot (version 1, runs an array) into a fresh state. */
export function restoreState(e: EngineState, s: EngineSnapshot): void {
  e.seq = s.seq;
  e.overrides = new Map(Object.entries(s.overrides ?? {}));
  e.globalWindow = new SlidingCount([...(s.isolations?.global ?? [])]);
  for (const [k, v] of Object.entries(s.isolations?.byPlaybook ?? {})) e.byPlaybook.set(k, new SlidingCount([...v]));
  for (const raw of s.runs) {
    const r = structuredClone(raw);
    for (const a of r.actions) {
      // the answer never came back before the snapshot (and no stored command was found for it)
      if (a.status === 'issuing') {
        a.status = 'failed';
        if (r.status === 'active' && a.hostId) {
          // an active run plans its host again (PlaybookEngine.resume): a crash mid-run must not leave a host uncontained
          a.reason = `${a.reason}: the controller stopped before the command was stored; planned again`;
          const list = r.handled[a.step];
          if (list) r.handled[a.step] = list.filter((h) => h !== a.hostId);
          if (a.kind === 'isolate') {
            e.globalWindow.remove(a.atMs);
            e.byPlaybook.get(r.playbook)?.remove(a.atMs);
          }
        } else {
          a.reason = `${a.reason}: the controller stopped before the command was confirmed; check 'firebreak commands --host ${a.hostId ?? ''}'`;
        }
        touch(e, r, a);
      }
      if (a.lift?.status === 'issuing') {
        a.lift.status = 'failed';
        touch(e, r, a);
      }
    }
    e.runs.set(r.id, r);
    for (const a of r.actions) if (a.expiresAtMs !== null && !a.lift) e.expiring.add([r, a]);
    for (const id of r.alertIds) e.latest.set(`${r.playbook}\0${id}`, r.id);
    // finished runs too: an isolation the run will still release outlives it (see finish in run-lifecycle.ts)
    for (const a of r.actions) {
      if (a.kind !== 'isolate' || a.status !== 'issued' || a.lift || !a.hostId) continue;
      if (r.status === 'active' || releasePending(a)) e.isolatedBy.set(a.hostId, r.id);
    }
  }
}

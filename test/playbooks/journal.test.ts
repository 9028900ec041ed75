// The playbook engine's state in a real SQLite store as it changes: a run, its actions
// and the blast-radius count are in the store before any command goes out, and an
// engine rebuilt from the rows alone (no snapshot, as after a kill -9) resumes the run
// exactly: a replayed transition adds nothing, the window stays full, held actions stay
// held, and timed isolations are released at their expiry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlaybookEngine, RUN_SEQ_COUNTER, snapshotFromRows } from '../../controller/playbooks/index.ts';
import type { Store } from '../../controller/store/store.ts';
import { reconcileIssuing } from '../../controller/containment.ts';
import type { IssueCommandRequest__Output } from '../../proto/wire.ts';
import { forEachStore } from '../helpers/stores.ts';
import { fleetHosts, hid, makeFleet, members, playbooks, RecordingPorts, summary, T0, transition } from './helpers.ts';

const SIG = 'conn.fanout/tcp:445';
const HOUR = 3600_000;
const CONTAIN = `
name: contain
mode: enforce
when:
  signatures: [conn.fanout/*]
guards:
  max_isolations: 3
do:
  - isolate:
      expiry: 1h
  - block:
      ports: [$port]
      direction: out
      hosts: [alert]
      expiry: 1h
`;

/** Recording ports whose persist writes to the store, and whose issue checks the store already knows the action. */
class StoredPorts extends RecordingPorts {
  unrecorded: string[] = [];
  constructor(private readonly store: Store) { super(); }
  persist = (j: Parameters<Store['writeRunJournal']>[0]) => this.store.writeRunJournal(j);
  override async issue(hostId: string, request: IssueCommandRequest__Output, issuer: string): Promise<{ commandId: string }> {
    const rows = await this.store.loadRuns(0);
    const known = rows.runs.some((r) => r.actions.some((a) => {
      const x = JSON.parse(a) as { hostId: string; status: string; lift: { status: string } | null };
      return x.hostId === hostId && (x.status === 'issuing' || x.lift?.status === 'issuing');
    }));
    if (!known) this.unrecorded.push(`${request.action} ${hostId}`);
    return super.issue(hostId, request, issuer);
  }
}

async function resume(store: Store, ports: RecordingPorts): Promise<PlaybookEngine> {
  const snap = snapshotFromRows(await store.loadRuns(0), (await store.getCounter(RUN_SEQ_COUNTER)) ?? 0, {});
  const e = PlaybookEngine.restore(snap, { ports, env: {}, blastRadius: { minHosts: 1 } });
  e.setPlaybooks(playbooks(CONTAIN));
  return e;
}

forEachStore((_name, open) => {
  test('written before each command; resumed from the rows alone: no second run, no duplicate command, the count intact, expiries kept', async () => {
    const store = await open('resume');
    const ports = new StoredPorts(store);
    const engine = new PlaybookEngine({ ports, env: {}, blastRadius: { minHosts: 1 } });
    engine.setPlaybooks(playbooks(CONTAIN));
    const fleet = makeFleet(fleetHosts(100), { 'F1': members(0, 5, SIG) });
    const alert = summary({ id: 'F1', signatures: [SIG], hostCount: 5 });
    const [run] = await engine.onTransition(transition('opened', alert, members(0, 5, SIG).map((m) => m.hostId)), fleet, T0);
    assert.deepEqual(ports.hostsOf('ISOLATE'), [0, 1, 2].map(hid), 'max_isolations 3: three isolated, two held');
    assert.equal(ports.of('BLOCK').length, 5);
    assert.deepEqual(ports.unrecorded, [], 'every command was issued after its action was in the store');

    // kill -9: no snapshot, no close; a new process opens the same file (or schema)
    const store2 = await open('resume');
    const ports2 = new StoredPorts(store2);
    const again = await resume(store2, ports2);
    const r = again.getRun(run!.id)!;
    assert.ok(r, 'the run is back');
    assert.deepEqual(r.actions.map((a) => [a.kind, a.hostId, a.status, a.commandId]), engine.getRun(run!.id)!.actions.map((a) => [a.kind, a.hostId, a.status, a.commandId]));
    assert.equal(again.blastRadius(100, T0 + 1000).used, 3, 'the blast-radius window is intact');

    // the same alert seen again (events replayed after the restart): nothing new
    await again.onTransition(transition('updated', alert, members(0, 5, SIG).map((m) => m.hostId)), fleet, T0 + 2000);
    assert.equal(again.listRuns().length, 1, 'no second run');
    assert.deepEqual(ports2.issued, [], 'no duplicate isolation or block');
    // a sixth host joins: still held by the restored count
    const grown = makeFleet(fleetHosts(100), { 'F1': members(0, 6, SIG) });
    await again.onTransition(transition('updated', { ...alert, hostCount: 6 }, [hid(5)]), grown, T0 + 3000);
    assert.deepEqual(ports2.of('ISOLATE'), [], 'the sixth host is held: the limit counts the isolations made before the crash');
    assert.equal(again.getRun(run!.id)!.actions.filter((a) => a.status === 'held').length, 3);

    // a second crash, then the hour passes: the isolations are released, the blocks marked expired
    const store3 = await open('resume');
    const ports3 = new StoredPorts(store3);
    const third = await resume(store3, ports3);
    assert.equal(third.getRun(run!.id)!.actions.filter((a) => a.status === 'held').length, 3, 'the held isolation of the sixth host survived too');
    await third.tick(T0 + HOUR - 1);
    assert.deepEqual(ports3.issued, [], 'nothing before the expiry');
    await third.tick(T0 + HOUR + 1000);
    assert.deepEqual(ports3.hostsOf('RELEASE'), [0, 1, 2].map(hid), 'timed isolations released at their expiry after the restart');
    const lifted = third.getRun(run!.id)!.actions.filter((a) => a.kind === 'block' && a.lift?.status === 'expired');
    assert.equal(lifted.length, 5);
    // and that too is in the store
    const fourth = await resume(await open('resume'), new RecordingPorts());
    assert.equal(fourth.getRun(run!.id)!.actions.filter((a) => a.lift?.status === 'issued').length, 3);
  });

  test('a finished run is in the store with its lifts; pruned runs leave it', async () => {
    const store = await open();
    const ports = new StoredPorts(store);
    const engine = new PlaybookEngine({ ports, env: {}, blastRadius: { minHosts: 1 }, maxFinishedRuns: 1 });
    engine.setPlaybooks(playbooks(CONTAIN.replace(/expiry: 1h/g, 'expiry: alert')));
    for (const [k, id] of ['F1', 'F2', 'F3'].entries()) {
      const fleet = makeFleet(fleetHosts(100), { [id]: members(k * 2, k * 2 + 2, SIG) });
      const a = summary({ id, signatures: [SIG], hostCount: 2 });
      await engine.onTransition(transition('opened', a, []), fleet, T0 + k * 10);
      await engine.onTransition(transition('resolved', { ...a, status: 'resolved', resolvedReason: 'quiet' }, []), fleet, T0 + k * 10 + 5);
    }
    assert.deepEqual(ports.unrecorded, [], 'lifts too were stored before their command');
    const rows = await store.loadRuns(0);
    assert.equal(rows.runs.length, 1, 'runs pruned from memory are deleted from the store');
    const run = JSON.parse(rows.runs[0]!.body) as { status: string; alertIds: string[] };
    assert.deepEqual([run.status, run.alertIds], ['finished', ['F3']]);
    const acts = rows.runs[0]!.actions.map((a) => JSON.parse(a) as { kind: string; status: string; lift: { status: string } | null });
    assert.deepEqual(acts.map((a) => [a.kind, a.status, a.lift?.status ?? null]), [
      ['isolate', 'cancelled', null], ['isolate', 'cancelled', null], ['block', 'issued', 'issued'], ['block', 'issued', 'issued'],
    ], 'held isolations cancelled (the window was full), blocks lifted when the alert resolved');
  });

  test('an action killed between its command and its row is matched to the stored command; one never sent is planned again and sent on resume', async () => {
    const store = await open();
    // the engine wrote its plan (both isolations 'issuing'), then the process died: one command made it to the store
    const journals: Parameters<Store['writeRunJournal']>[0][] = [];
    const ports = new RecordingPorts() as RecordingPorts & { persist: (j: (typeof journals)[number]) => Promise<void> };
    ports.persist = async (j) => { journals.push(j); };
    const engine = new PlaybookEngine({ ports, env: {}, blastRadius: { minHosts: 1 } });
    engine.setPlaybooks(playbooks(CONTAIN));
    const fleet = makeFleet(fleetHosts(100), { 'F1': members(0, 2, SIG) });
    const [run] = await engine.onTransition(transition('opened', summary({ id: 'F1', signatures: [SIG], hostCount: 2 }), []), fleet, T0);
    await store.writeRunJournal(journals[0]!); // only the write made before the commands
    const sent = ports.of('ISOLATE')[0]!;
    await store.insertCommand({
      id: 'cmd-stored', targetAgentId: sent.hostId, action: 'ISOLATE', issuer: sent.issuer, reason: sent.request.reason,
      issuedAtMs: T0, expiresAtMs: T0 + HOUR, nonce: 'n', signature: Buffer.alloc(0), isolate: sent.request.isolate ?? null, params: 'isolate',
    } as never, T0);
    const snap = snapshotFromRows(await store.loadRuns(0), 0, {});
    assert.deepEqual(snap.runs[0]!.actions.filter((a) => a.kind === 'isolate').map((a) => a.status), ['issuing', 'issuing']);
    await reconcileIssuing(store, snap);
    const ports2 = new RecordingPorts();
    const again = PlaybookEngine.restore(snap, { ports: ports2, env: {}, blastRadius: { minHosts: 1 } });
    again.setPlaybooks(playbooks(CONTAIN));
    // the restarted engine finishes the run: the host whose command never went out is isolated now, the other not twice
    await again.resume(fleet, (id) => (id === 'F1' ? summary({ id: 'F1', signatures: [SIG], hostCount: 2 }) : undefined), T0 + 1000);
    assert.deepEqual(ports2.of('ISOLATE').map((c) => c.hostId), [hid(1)]);
    const isolations = again.getRun(run!.id)!.actions.filter((a) => a.kind === 'isolate');
    assert.deepEqual(isolations.map((a) => [a.hostId, a.status]), [
      [hid(0), 'issued'],
      [hid(1), 'failed'],
      [hid(1), 'issued'],
    ]);
    assert.equal(isolations[0]!.commandId, 'cmd-stored');
    assert.match(isolations[1]!.reason, /stopped before the command was stored; planned again/);
  });
});

// The throttle end to end through the operator CLI: a controller and an agent
// (dry-run backend) as real processes; throttle, see it on the host, refuse bad
// parameters, unthrottle.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { CommandView__Output, Host__Output } from '../../proto/wire.ts';
import { cli, cliJson, eventually, startAgent, startController, stopAll, tempDir, type ControllerProc } from '../helpers/procs.ts';

describe('firebreak throttle / unthrottle', { timeout: 90_000 }, () => {
  const dir = tempDir();
  let ctl: ControllerProc;
  const host = () => cliJson<Host__Output>(ctl, ['host', 't1']);

  before(async () => {
    ctl = await startController(join(dir.path, 'controller'));
    await startAgent('t1', ctl, join(dir.path, 't1'));
  });

  after(async () => {
    await stopAll();
    dir.remove();
  });

  it('throttles a host with the given rate, burst, working set and expiry, and shows it', async () => {
    const before = Date.now();
    const v = await cliJson<CommandView__Output>(ctl, ['throttle', 't1', '--rate', '2', '--burst', '10', '--working-set', '2m', '--expires', '1h', '-r', 'scanning', '--wait']);
    assert.equal(v.status, 'APPLIED', v.resultMessage);
    assert.match(v.resultMessage, /throttle applied: 2 new destination\(s\)\/s, burst 10, working set 120 s/);
    const t = v.command!.throttle!;
    assert.deepEqual([t.newPerSecond, t.burst, t.workingSetS], [2, 10, 120]);
    assert.ok(t.expiresAtMs >= before + 3_600_000 - 1000 && t.expiresAtMs <= Date.now() + 3_600_000);
    assert.ok(Number(v.command!.expiresAtMs) <= t.expiresAtMs, 'the command never outlives the throttle');
    const h = await eventually(async () => { const x = await host(); return x.enforcement?.throttle ? x : undefined; }, 10_000, 'the agent reports the throttle');
    assert.equal(h.enforcement!.throttle!.burst, 10);
    const text = await cli(ctl, ['host', 't1']);
    assert.match(text.stdout, /throttle {4}2 new destination\(s\)\/s, burst 10, working set 120s until /);
    const list = await cli(ctl, ['hosts']);
    assert.match(list.stdout, /THROTTLE/);
    assert.match(list.stdout, /\b2\/s\b/);
  });

  it('fills the defaults and refuses parameters out of range with what to give', async () => {
    const v = await cliJson<CommandView__Output>(ctl, ['throttle', 't1', '-r', 'defaults', '--wait']);
    assert.deepEqual([v.command!.throttle!.newPerSecond, v.command!.throttle!.burst, v.command!.throttle!.workingSetS, v.command!.throttle!.expiresAtMs], [1, 5, 60, 0]);
    const bad = await cli(ctl, ['throttle', 't1', '--rate', '5000', '-r', 'x']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--rate 5000 is out of range: give a whole number 1-1000/);
    const noReason = await cli(ctl, ['throttle', 't1']);
    assert.notEqual(noReason.code, 0);
    assert.match(noReason.stderr, /--reason/);
  });

  it('unthrottle lifts it', async () => {
    const v = await cliJson<CommandView__Output>(ctl, ['unthrottle', 't1', '--wait']);
    assert.equal(v.status, 'APPLIED');
    await eventually(async () => (await host()).enforcement?.throttle == null, 10_000, 'the agent reports no throttle');
    assert.match((await cli(ctl, ['host', 't1'])).stdout, /throttle {4}none/);
  });
});

// The fleet simulator's scenarios at 200 hosts, against a real controller
// process over real gRPC (mutual TLS): issue 5's correlation targets, and
// issue 7's containment targets with the shipped playbooks. The 200 hosts
// enroll once (a template each run copies); each run warms its detectors
// in-process, then plays the scenario in real time with a 1 s report interval.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { enrollFleet, runSimulation } from '../../scripts/simulate/run.ts';
import { formatSummary, type SimulationSummary } from '../../scripts/simulate/summary.ts';
import { ROOT, stopAll } from '../helpers/procs.ts';

const HOSTS = 200;
const PLAYBOOKS = ['--playbooks', join(ROOT, 'playbooks')];
const log = pino({ level: 'warn', base: { app: 'firebreak-sim-test' } }, pino.destination(2));
const show = (s: SimulationSummary) => JSON.stringify({ ...s, alerts: s.alerts.slice(0, 10), affected_over_time: undefined, alert_hosts_over_time: undefined }, null, 1);

describe(`fleet simulator at ${HOSTS} hosts`, { timeout: 900_000 }, () => {
  const template = mkdtempSync(join(tmpdir(), 'firebreak-sim-fleet-'));
  before(async () => { await enrollFleet({ hosts: HOSTS, dir: template, log }); }, { timeout: 120_000 });
  after(async () => { await stopAll(); rmSync(template, { recursive: true, force: true }); });

  test('worm, left alone: one incident, opened within 2 s of the third host, naming patient zero, propagating, doubling within 30%, events folded', { timeout: 150_000 }, async (t) => {
    // 32 infected hosts (five doublings) give the doubling fit enough onsets and keep the run short
    const s = await runSimulation({ hosts: HOSTS, template, scenario: 'worm', seed: 11, log, scenarioOptions: { doublingS: 10, stopAtAffected: 32, durationMs: 90_000 } });
    t.diagnostic(formatSummary(s));
    const why = show(s);
    assert.ok(s.master_alerts >= 1 && s.master_alerts <= 3, `1 to 3 master alerts, got ${s.master_alerts}\n${why}`);
    assert.ok(s.first_master_alert_after_third_host_ms !== null && s.first_master_alert_after_third_host_ms <= 2000,
      `first master alert within 2 s of the third infected host's first anomaly reaching the controller, got ${s.first_master_alert_after_third_host_ms} ms\n${why}`);
    assert.equal(s.patient_zero_found, true, `patient zero ${s.truth.patient_zero}, alert says ${s.main_alert?.patient_zero}\n${why}`);
    assert.equal(s.classification, 'propagating', why);
    assert.ok(s.doubling_error_pct !== null && Math.abs(s.doubling_error_pct) <= 30,
      `doubling estimate ${s.doubling_estimate_s} s vs truth ${s.truth.doubling_s} s (${s.doubling_error_pct}% off)\n${why}`);
    assert.ok(s.folded_pct !== null && s.folded_pct >= 99, `>= 99% of raw anomaly events folded into master alerts, got ${s.folded_pct}%\n${why}`);
    assert.equal(s.containment.playbook_commands, 0, 'no playbooks in this run');
  });

  test('worm, with the shipped playbooks: the spread stops within 30 s of the first infection, at most 16 hosts infected', { timeout: 150_000 }, async (t) => {
    const s = await runSimulation({ hosts: HOSTS, template, scenario: 'worm', seed: 21, log, controllerArgs: PLAYBOOKS, scenarioOptions: { doublingS: 10, durationMs: 45_000 } });
    t.diagnostic(formatSummary(s));
    const why = show(s);
    const c = s.containment;
    assert.ok(c.isolate_commands >= 1 && c.block_commands >= 1, `the playbook isolated and blocked\n${why}`);
    assert.ok(s.truth.affected_hosts <= 16, `at most 16 hosts infected, got ${s.truth.affected_hosts}\n${why}`);
    assert.ok(c.last_new_affected_after_first_affected_ms !== null && c.last_new_affected_after_first_affected_ms <= 30_000,
      `the last new infection within 30 s of the first, got ${c.last_new_affected_after_first_affected_ms} ms\n${why}`);
    assert.equal(s.patient_zero_found, true, why);
  });

  test('backup, with the shipped playbooks: one simultaneous incident, at most a warning, nothing isolated or blocked', { timeout: 150_000 }, async (t) => {
    const s = await runSimulation({ hosts: HOSTS, template, scenario: 'backup', seed: 12, log, controllerArgs: PLAYBOOKS });
    t.diagnostic(formatSummary(s));
    const why = show(s);
    assert.ok(s.master_alerts >= 1, `the fleet-wide job shows as a master alert\n${why}`);
    assert.equal(s.classification, 'simultaneous', why);
    assert.ok(s.max_master_severity === 'info' || s.max_master_severity === 'warning', `severity at most warning, got ${s.max_master_severity}\n${why}`);
    assert.equal(s.containment.playbook_commands, 0, `zero automatic isolations and blocks\n${why}`);
    assert.deepEqual(s.enforcement_at_end, { isolated_hosts: 0, hosts_with_blocks: 0 }, why);
  });

  test('noise, with the shipped playbooks: single-host spikes raise no master alert and nothing is contained', { timeout: 150_000 }, async (t) => {
    const s = await runSimulation({ hosts: HOSTS, template, scenario: 'noise', seed: 13, log, controllerArgs: PLAYBOOKS, scenarioOptions: { durationMs: 40_000 } });
    t.diagnostic(formatSummary(s));
    const why = show(s);
    assert.ok(s.truth.affected_hosts >= 3, `the scenario spiked a few hosts (${s.truth.affected_hosts})`);
    assert.ok(s.raw_events > 0, `the spikes raised anomaly events\n${why}`);
    assert.equal(s.master_alerts, 0, `no master alert\n${why}`);
    assert.equal(s.containment.playbook_commands, 0, `zero automatic isolations and blocks\n${why}`);
  });
});

// Durations in --help read as operators write them ("5m", not "300000"), and
// the text round-trips through the parser the flags use.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatDuration, parseDuration } from '../../proto/duration.ts';
import { ROOT } from '../helpers/procs.ts';

test('formatDuration gives the shortest exact text, and parseDuration reads it back', () => {
  const cases: [number, string][] = [[0, '0s'], [500, '500ms'], [5000, '5s'], [90_000, '1m30s'], [300_000, '5m'], [5_400_000, '1h30m'], [86_400_000, '1d'], [1500, '1s500ms']];
  for (const [ms, text] of cases) {
    assert.equal(formatDuration(ms), text);
    assert.equal(parseDuration(text), ms);
  }
});

test('--help of the controller and the CLI shows duration defaults as durations', () => {
  const help = (bin: string, ...args: string[]) => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', bin), ...args, '--help'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.replace(/\s+/g, ' ');
  };
  const ctl = help('firebreak-controller.js');
  assert.match(ctl, /heartbeat.*\(default: 5s\)/);
  assert.match(ctl, /expires \(default: 5m\)/);
  assert.doesNotMatch(ctl, /default: (5000|300000)\)/);
  assert.match(help('firebreak.js', 'tokens', 'create'), /valid \(default: 1d\)/);
});

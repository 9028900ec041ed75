// Playbook files: a valid one loads; each kind of mistake is refused with its line and a
// reason; a bad file leaves the others running; the directory reloads on change.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatIssue, loadPlaybookDir, parsePlaybook, PlaybookSource, validatePlaybookFile, type LoadResult } from '../../controller/playbooks/loader.ts';
import { PRIVATE_CIDRS } from '../../controller/playbooks/schema.ts';
import { SHIPPED_DIR, T0 } from './helpers.ts';

const VALID = `name: mail-cut
description: test
mode: dry-run
cooldown: 5m
when:
  signatures: ["conn.fanout/tcp:25"]
  classification: propagating
  min_hosts: 3
  min_severity: warning
  host_tags: [role=mail]
do:
  - isolate:
      showing: $matched
      expiry: 30m
  - block:
      ports: [$port, 587, "8000-8080"]
      direction: out
      hosts: [all, "not tag:mail-relay"]
      remote: [internet, 203.0.113.0/24]
      expiry: 1h
  - raise_core_posture:
      blocks:
        - ports: [445]
          direction: in
  - notify:
      url: https://hooks.example.com/firebreak
guards:
  max_isolations: 10
  max_isolations_percent: 2.5
  window: 15m
`;

/** The one issue a text is refused with; fails when it loads or gives no issue at that line. */
function refused(text: string): { line: number; message: string; all: string } {
  const r = parsePlaybook(text, 'p.yaml');
  assert.equal(r.ok, false, 'the playbook should have been refused');
  if (r.ok) throw new Error('unreachable');
  const first = r.errors[0]!;
  return { line: first.line, message: first.message, all: r.errors.map(formatIssue).join('\n') };
}

/** VALID with one line replaced; returns the text and the 1-based line number changed. */
function withLine(find: string, replace: string): { text: string; line: number } {
  const lines = VALID.split('\n');
  const i = lines.findIndex((l) => l.includes(find));
  assert.ok(i >= 0, `fixture has no line with ${find}`);
  lines[i] = replace;
  return { text: lines.join('\n'), line: i + 1 };
}

describe('playbook schema', () => {
  test('a valid playbook loads with its values parsed', () => {
    const r = parsePlaybook(VALID, 'p.yaml');
    assert.ok(r.ok, r.ok ? '' : r.errors.map(formatIssue).join('\n'));
    const pb = r.playbook;
    assert.equal(pb.name, 'mail-cut');
    assert.equal(pb.mode, 'dry-run');
    assert.equal(pb.cooldown, 300_000);
    assert.equal(pb.enabled, true);
    assert.deepEqual(pb.when.host_tags, ['role=mail']);
    const [iso, block, core, notify] = pb.do;
    assert.equal(iso!.kind, 'isolate');
    assert.deepEqual(iso!.kind === 'isolate' && iso!.showing, ['$matched']);
    assert.equal(iso!.kind === 'isolate' && iso!.expiry, 1_800_000);
    assert.ok(block?.kind === 'block');
    assert.deepEqual(block.ports, ['$port', { from: 587, to: 587 }, { from: 8000, to: 8080 }]);
    assert.deepEqual(block.hosts, { include: [{ kind: 'all' }], exclude: [{ kind: 'tag', key: 'mail-relay', value: null }] });
    assert.deepEqual(block.remote, { internet: true, cidrs: ['203.0.113.0/24'] });
    assert.equal(block.expiry, 3_600_000);
    assert.ok(core?.kind === 'raise_core_posture');
    assert.equal(core.expiry, 'alert', 'core posture is lifted with the alert by default');
    assert.equal(core.blocks[0]!.direction, 'in');
    assert.ok(notify?.kind === 'notify');
    assert.equal(notify.attempts, 5);
    assert.deepEqual(pb.guards, { max_isolations: 10, max_isolations_percent: 2.5, window: 900_000 });
  });

  test('`private` expands to the private ranges', () => {
    const r = parsePlaybook(VALID.replace('remote: [internet, 203.0.113.0/24]', 'remote: private'), 'p.yaml');
    assert.ok(r.ok);
    const block = r.playbook.do[1]!;
    assert.ok(block.kind === 'block');
    assert.deepEqual(block.remote, { internet: false, cidrs: [...PRIVATE_CIDRS] });
  });

  test('bad YAML syntax is refused with the line', () => {
    const { text, line } = withLine('min_hosts: 3', '  min_hosts: [3');
    const r = refused(text);
    assert.match(r.message, /^YAML syntax/);
    assert.ok(r.line >= line && r.line <= line + 1, `line ${r.line}, expected about ${line}: ${r.all}`);
  });

  test('an unknown field is refused with its line and name', () => {
    const { text, line } = withLine('min_hosts: 3', '  min_hostz: 3');
    const r = refused(text);
    assert.equal(r.line, line, r.all);
    assert.match(r.message, /unknown field 'min_hostz'/);
  });

  test('an unknown field inside an action is refused at that line', () => {
    const { text, line } = withLine('direction: out', '      directon: out');
    const r = refused(text);
    assert.equal(r.line, line, r.all);
    assert.match(r.message, /unknown field 'directon'/);
  });

  test('port 0 and port 70000 are refused with the range', () => {
    for (const bad of ['0', '70000', '"80-70000"']) {
      const { text, line } = withLine('ports: [$port', `      ports: [$port, 587, ${bad}]`);
      const r = refused(text);
      assert.equal(r.line, line, r.all);
      assert.match(r.message, /out of range: ports are 1-65535/, bad);
    }
    const back = refused(withLine('ports: [$port', '      ports: ["9000-8000"]').text);
    assert.match(back.message, /backwards/);
  });

  test('a bad CIDR is refused with the reason', () => {
    const { text, line } = withLine('remote: [internet', '      remote: [internet, 10.0.0.0/33]');
    const r = refused(text);
    assert.equal(r.line, line, r.all);
    assert.match(r.message, /bad CIDR '10\.0\.0\.0\/33': prefix must be 0-32/);
    const word = refused(withLine('remote: [internet', '      remote: [intranet]').text);
    assert.match(word.message, /'intranet' is not an IPv4 or IPv6 address.*'private' or 'internet'/);
  });

  test('an unknown action is refused, naming the actions there are', () => {
    const { text, line } = withLine('- notify:', '  - quarantine:');
    const r = refused(text);
    assert.equal(r.line, line, r.all);
    assert.match(r.message, /unknown action 'quarantine': use one of isolate, block, raise_core_posture, notify/);
    assert.doesNotMatch(r.all, /names no action/, 'one message for one mistake');
  });

  test('a bad duration is refused with the accepted forms', () => {
    for (const [find, bad] of [['expiry: 1h', '      expiry: 1hour'], ['cooldown: 5m', 'cooldown: 300'], ['window: 15m', '  window: soon']] as const) {
      const { text, line } = withLine(find, bad);
      const r = refused(text);
      assert.equal(r.line, line, `${bad}: ${r.all}`);
      assert.match(r.message, /is not a duration: write a number and a unit, e\.g\. 30s, 10m, 1h/);
    }
  });

  test('other mistakes: bad selector, bad mode, missing when, two actions in one step', () => {
    const sel = refused(withLine('hosts: [all', '      hosts: [all, "except tag:x"]').text);
    assert.match(sel.message, /bad host selector "except tag:x"/);
    const mode = refused(withLine('mode: dry-run', 'mode: yolo').text);
    assert.equal(mode.line, 3);
    assert.match(mode.message, /mode must be 'enforce' or 'dry-run'/);
    const noWhen = refused('name: x\ndo:\n  - isolate: {}\n');
    assert.match(noWhen.message, /when is missing/);
    const two = refused(VALID.replace('  - notify:\n      url: https://hooks.example.com/firebreak\n', '  - notify:\n      url: https://hooks.example.com/x\n    isolate: {}\n'));
    assert.match(two.all, /more than one action/);
    const url = refused(withLine('url: https', '      url: ftp://x.example/').text);
    assert.match(url.message, /not an http\(s\) URL/);
  });

  test('a notify URL from an unset ${VAR} validates (the run records the skip)', () => {
    const r = parsePlaybook(withLine('url: https', '      url: ${NOT_SET_ANYWHERE_42}').text, 'p.yaml');
    assert.ok(r.ok, r.ok ? '' : r.errors.map(formatIssue).join('\n'));
  });

  test('the two shipped playbooks validate', () => {
    for (const f of ['mass-mailer.yaml', 'scanning-worm.yaml']) {
      const r = validatePlaybookFile(join(SHIPPED_DIR, f));
      assert.ok(r.ok, r.ok ? '' : r.errors.map(formatIssue).join('\n'));
      assert.equal(r.playbook.mode, 'enforce');
      assert.equal(r.playbook.when.classification, 'propagating', `${f} must never act on a simultaneous (backup-like) alert`);
    }
    const all = loadPlaybookDir(SHIPPED_DIR, T0);
    assert.deepEqual(all.errors, []);
    assert.deepEqual(all.playbooks.map((p) => p.playbook.name).sort(), ['mass-mailer', 'scanning-worm']);
  });
});

describe('playbook directory', () => {
  const dirs: string[] = [];
  const sources: PlaybookSource[] = [];
  after(() => {
    for (const s of sources) s.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'fb-playbooks-'));
    dirs.push(d);
    return d;
  };

  test('a bad file is refused with file and line; the others load; a duplicate name is refused', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'a.yaml'), VALID);
    writeFileSync(join(dir, 'b.yaml'), VALID.replace('name: mail-cut', 'name: other').replace('ports: [445]', 'ports: [0]'));
    writeFileSync(join(dir, 'c.yml'), VALID.replace('name: mail-cut', 'name: third'));
    writeFileSync(join(dir, 'd.yaml'), VALID);
    writeFileSync(join(dir, 'notes.txt'), 'not a playbook');
    const r = loadPlaybookDir(dir, T0);
    assert.deepEqual(r.playbooks.map((p) => p.playbook.name), ['mail-cut', 'third']);
    const bad = r.errors.find((e) => e.file.endsWith('b.yaml'));
    assert.ok(bad, JSON.stringify(r.errors));
    assert.equal(bad.line, VALID.split('\n').findIndex((l) => l.includes('ports: [445]')) + 1);
    assert.match(formatIssue(bad), /b\.yaml:\d+:\d+: port 0 is out of range/);
    const dup = r.errors.find((e) => e.file.endsWith('d.yaml'));
    assert.match(dup?.message ?? '', /already used by a\.yaml/);
    assert.equal(dup?.line, 1);
  });

  test('a file that turns bad keeps its last good version running (stale); reload() picks up fixes', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'a.yaml'), VALID);
    const seen: LoadResult[] = [];
    const src = new PlaybookSource({ dir, onLoad: (r) => seen.push(r), now: () => T0 });
    sources.push(src);
    src.reload();
    assert.equal(seen.at(-1)!.playbooks[0]!.stale, null);
    writeFileSync(join(dir, 'a.yaml'), VALID.replace('mode: dry-run', 'mode: maybe'));
    src.reload();
    const r = seen.at(-1)!;
    assert.equal(r.playbooks.length, 1, 'the last good version keeps running');
    assert.equal(r.playbooks[0]!.playbook.mode, 'dry-run');
    assert.match(r.playbooks[0]!.stale?.[0]?.message ?? '', /mode must be/);
    assert.equal(r.errors.length, 1);
    writeFileSync(join(dir, 'a.yaml'), VALID.replace('mode: dry-run', 'mode: enforce'));
    src.reload();
    assert.equal(seen.at(-1)!.playbooks[0]!.playbook.mode, 'enforce');
    assert.equal(seen.at(-1)!.playbooks[0]!.stale, null);
  });

  test('a change on disk reloads by itself after the debounce', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'a.yaml'), VALID);
    const seen: LoadResult[] = [];
    const src = new PlaybookSource({ dir, onLoad: (r) => seen.push(r), debounceMs: 50 });
    sources.push(src);
    src.start();
    assert.equal(seen.length, 1);
    writeFileSync(join(dir, 'b.yaml'), readFileSync(join(dir, 'a.yaml'), 'utf8').replace('name: mail-cut', 'name: second'));
    // bounded wait: fs.watch plus the debounce is well under 2 s
    for (let i = 0; i < 40 && !(seen.at(-1)?.playbooks.length === 2); i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(seen.at(-1)!.playbooks.map((p) => p.playbook.name), ['mail-cut', 'second']);
  });
});

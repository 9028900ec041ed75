// Host selectors (controller/host-selector.ts): the grammar, left-to-right union and
// subtraction, natural order, precise errors, and that only GRANTED tags count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSelector, parseSelector, resolveSelector, SelectorError, SelectorTermSchema, type SelectorContext } from '../../controller/host-selector.ts';

// granted tags, as the controller's trust store holds them
const granted: Record<string, Record<string, string>> = {
  fbh1: { role: 'web' },
  fbh2: { role: 'mail', 'mail-relay': '' },
  fbh10: { role: 'web', 'never-isolate': 'true' },
  fbh3: { role: 'db', 'mail-relay': 'no' }, // "no" is not carrying the tag (as playbooks read it)
  fbh11: {},
};
const ctx = (g = granted, alerts: Record<string, string[]> = { F3: ['fbh11', 'fbh2', 'gone'] }): SelectorContext => ({
  hosts: Object.entries(g).map(([id, tags]) => ({ id, tags })),
  alertHosts: (id) => alerts[id],
});
const pick = (expr: string, c = ctx()) => resolveSelector(parseSelector(expr), c);

test('terms add left to right, not X removes, output in natural order', () => {
  assert.deepEqual(pick('all'), ['fbh1', 'fbh2', 'fbh3', 'fbh10', 'fbh11']);
  assert.deepEqual(pick('all,not tag:mail-relay'), ['fbh1', 'fbh3', 'fbh10', 'fbh11']);
  assert.deepEqual(pick('tag:role=web'), ['fbh1', 'fbh10']);
  assert.deepEqual(pick('fbh10,fbh2'), ['fbh2', 'fbh10']);
  // order matters: a later term adds back what an earlier not removed
  assert.deepEqual(pick('all,not tag:role=web,fbh10'), ['fbh2', 'fbh3', 'fbh10', 'fbh11']);
  assert.deepEqual(pick('not fbh1,fbh1'), ['fbh1']);
  assert.deepEqual(pick('fbh1,not fbh1'), []);
  // an alert's hosts (those still known)
  assert.deepEqual(pick('alert:F3'), ['fbh2', 'fbh11']);
  assert.deepEqual(pick('alert:F3,not tag:mail-relay'), ['fbh11']);
});

test("an agent's claimed tags are not read: only granted ones select or exclude", () => {
  // fbh1 claims to be a mail relay in its Hello; the controller never granted it.
  // The selector's context carries granted tags only, so the lie changes nothing.
  const claims = { fbh1: { 'mail-relay': '' } };
  const withGrantsOnly = ctx();
  assert.ok(pick('all,not tag:mail-relay', withGrantsOnly).includes('fbh1'), 'a host claiming mail-relay without the grant is not spared');
  assert.ok(!pick('tag:mail-relay', withGrantsOnly).includes('fbh1'), 'nor picked by it');
  // what a resolver that (wrongly) merged claims would have done: the test above would fail with it
  const merged = ctx(Object.fromEntries(Object.entries(granted).map(([id, t]) => [id, { ...t, ...(claims as Record<string, Record<string, string>>)[id] }])));
  assert.ok(!pick('all,not tag:mail-relay', merged).includes('fbh1'));
});

test('bad terms are refused naming the term and the grammar', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty/],
    ['all,,fbh1', /term 2 '' is empty/],
    ['all,', /term 2 '' is empty/],
    ['not', /term 1 'not' is not a host id|nothing to remove/],
    ['all,not not fbh1', /says 'not' twice/],
    ['tags:role', /unknown prefix 'tags:'/],
    ['tag:', /malformed tag key ''/],
    ['tag:ro le', /malformed tag key/],
    ['FBH1', /term 1 'FBH1' is not a host id/],
    ['alert:', /malformed alert id/],
  ];
  for (const [expr, re] of cases) {
    assert.throws(() => parseSelector(expr), (err: Error) => {
      assert.ok(err instanceof SelectorError, `${expr}: ${err.message}`);
      assert.match(err.message, re, expr);
      if (expr) assert.match(err.message, /comma-separated terms.*'not TERM'.*tag:KEY=VALUE/, `${expr}: names the grammar`);
      return true;
    });
  }
  // unknown hosts and alerts are errors at resolution: a typo must not shrink a fleet action silently
  assert.throws(() => pick('all,not fbh99'), /unknown host 'fbh99'/);
  assert.throws(() => pick('alert:F9'), /unknown alert 'F9'/);
});

test('parsed terms match the shared schema and print back canonically', () => {
  const terms = parseSelector(' all , NOT tag:mail-relay ,tag:role=web,fbh1,alert:F3 ');
  for (const t of terms) SelectorTermSchema.parse(t);
  assert.equal(formatSelector(terms), 'all,not tag:mail-relay,tag:role=web,fbh1,alert:F3');
});

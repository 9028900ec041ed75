// Typed stage errors: the operator API maps a stage's refusal to NOT_FOUND or
// INVALID_ARGUMENT by the error's kind, never by the words of its message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundError } from '../../controller/commands.ts';
import { asOperatorError } from '../../controller/operator-alerts.ts';
import { AlertError, parseMatcher, Pipeline, SilenceError } from '../../controller/pipeline/pipeline.ts';
import { ValidationError } from '../../proto/validate.ts';
import { PlaybookError } from '../../controller/playbooks/engine.ts';
import { T0 } from './helpers.ts';

const mapped = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (err) {
    try {
      asOperatorError(err);
    } catch (out) {
      return out as Error;
    }
  }
  throw new Error('expected the call to throw');
};

test('what does not exist is NOT_FOUND, what cannot be done as asked is INVALID_ARGUMENT', () => {
  const p = new Pipeline({ correlate: { fleetSize: 10 } });
  assert.ok(mapped(() => p.acknowledge('F999', 'alice', T0)) instanceof NotFoundError);
  assert.ok(mapped(() => p.expireSilence('s-404', T0)) instanceof NotFoundError);
  assert.ok(mapped(() => parseMatcher('colour=blue')) instanceof ValidationError);
});

test('the kind decides, whatever the message says', () => {
  assert.ok(mapped(() => { throw new AlertError('gone', 'not-found'); }) instanceof NotFoundError);
  assert.ok(mapped(() => { throw new SilenceError('unknown matcher field: no alert either'); }) instanceof ValidationError);
  assert.ok(mapped(() => { throw new PlaybookError('removed while you looked', 'not-found'); }) instanceof NotFoundError);
  assert.ok(mapped(() => { throw new PlaybookError('unknown reasons: no run holds anything'); }) instanceof ValidationError);
  // anything else passes through untouched
  const other = new Error('disk full');
  assert.equal(mapped(() => { throw other; }), other);
});

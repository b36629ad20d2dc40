import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { PROOF_MAX_AGE_S } from '../oauth/index.ts';
import { UsedProofs } from './used-proofs.ts';

test('a proof id is accepted once, while any proof carrying it could still be accepted', () => {
  mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  try {
    const used = new UsedProofs();
    assert.equal(used.spend('dpop:key-a:1'), true);
    assert.equal(used.spend('dpop:key-a:1'), false, 'a replay');
    assert.equal(used.spend('dpop:key-b:1'), true, 'the same jti from another key is another proof');
    const long = `dpop:key-a:${'j'.repeat(256)}`;
    assert.equal(used.spend(long), true);
    assert.equal(used.spend(long), false);
    assert.equal(used.spend(`${long.slice(0, -1)}k`), true, 'ids differing in their last character differ');
    // Still refused after a whole proof lifetime: the record outlives any proof that could carry it.
    mock.timers.tick((PROOF_MAX_AGE_S + 6) * 1000);
    assert.equal(used.spend('dpop:key-a:1'), false);
  } finally {
    mock.timers.reset();
  }
});

test('records older than two proof lifetimes are forgotten (such a proof is refused as too old anyway)', () => {
  mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  try {
    const used = new UsedProofs();
    for (let i = 0; i < 1000; i++) used.spend(`dpop:key:${i}`);
    assert.equal(used.size, 1000);
    mock.timers.tick(2 * (PROOF_MAX_AGE_S + 6) * 1000 + 1);
    assert.equal(used.spend('dpop:key:0'), true);
    assert.equal(used.size, 1);
  } finally {
    mock.timers.reset();
  }
});

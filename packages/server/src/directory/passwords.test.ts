import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword, verifyPassword } from './passwords.ts';

const PARAMS = { memory: 19_456, passes: 2, parallelism: 1 };

test('hashes are argon2id PHC strings with a fresh salt each time', async () => {
  const a = await hashPassword('correct horse', PARAMS);
  const b = await hashPassword('correct horse', PARAMS);
  assert.match(a, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  assert.notEqual(a, b);
  assert.ok(!a.includes('correct'));
});

test('verification accepts the password, refuses others, and flags old parameters for rehash', async () => {
  const stored = await hashPassword('correct horse', PARAMS);
  assert.deepEqual(await verifyPassword(stored, 'correct horse', PARAMS), { ok: true, needsRehash: false });
  assert.deepEqual(await verifyPassword(stored, 'correct horsE', PARAMS), { ok: false, needsRehash: false });
  assert.deepEqual(await verifyPassword(stored, 'correct horse', { ...PARAMS, passes: 3 }), { ok: true, needsRehash: true });
});

test('passwords are compared after NFKC (NIST SP 800-63B §5.1.1.2)', async () => {
  const stored = await hashPassword('ｐａｓｓｗｏｒｄ１', PARAMS);
  assert.equal((await verifyPassword(stored, 'password1', PARAMS)).ok, true);
});

test('a malformed stored hash never verifies', async () => {
  for (const bad of ['', 'plain', '$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', '$argon2id$v=19$m=x,t=2,p=1$c2FsdA$aGFzaA']) {
    assert.equal((await verifyPassword(bad, 'anything', PARAMS)).ok, false);
  }
});

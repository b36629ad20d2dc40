// Signing keys through the admin API: listing and rotation, as verifiers see it in the JWKS.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KEY_USES, type SigningKeyView } from '@portcullis/protocol';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { signJwt } from '../../src/oauth/index.ts';
import { admin, assertError, call, startApp, type TestApp } from './start-app.ts';

async function listKeys(t: TestApp): Promise<SigningKeyView[]> {
  const res = await call(t, 'GET', admin('/keys'));
  assert.equal(res.status, 200, res.body);
  return (res.json as { keys: SigningKeyView[] }).keys;
}

async function jwksKids(t: TestApp): Promise<string[]> {
  const res = await call(t, 'GET', '/.well-known/jwks.json', { key: null });
  return (res.json as JSONWebKeySet).keys.map((k) => String(k.kid));
}

const one = (keys: SigningKeyView[], use: string, state: string): SigningKeyView => {
  const found = keys.filter((k) => k.use === use && k.state === state);
  assert.equal(found.length, 1, `${found.length} ${state} ${use} keys`);
  return found[0]!;
};

describe('admin signing keys', () => {
  let t: TestApp;
  before(async () => {
    t = await startApp();
  });
  after(() => t.close());

  it('lists a current and a next key for every use, without private material', async () => {
    const res = await call(t, 'GET', admin('/keys'));
    assert.equal(res.status, 200);
    const { keys } = res.json as { keys: SigningKeyView[] };
    assert.deepEqual([...new Set(keys.map((k) => k.use))].sort(), [...KEY_USES].sort());
    for (const use of KEY_USES) {
      const current = one(keys, use, 'current');
      const next = one(keys, use, 'next');
      assert.notEqual(current.kid, next.kid);
      assert.equal(current.alg, 'ES256');
      assert.notEqual(current.activated_at, null);
      assert.equal(next.activated_at, null);
      assert.equal(current.published_until, null);
    }
    assert.equal(keys.length, KEY_USES.length * 2);
    assert.ok(!/private|"d"|sealed/.test(res.body));
  });

  it('rotates token keys: next becomes current, current is retired but still published, a new next appears', async () => {
    const before = await listKeys(t);
    const oldCurrent = one(before, 'token', 'current');
    const oldNext = one(before, 'token', 'next');
    const signer = t.services.signingKeys.current('token');
    assert.equal(signer.kid, oldCurrent.kid);
    const oldToken = await signJwt(signer, 'JWT', { sub: 'before-rotation', exp: Math.floor(Date.now() / 1000) + 600 });

    const res = await call(t, 'POST', admin('/keys/rotate'), { body: { use: 'token' } });
    assert.equal(res.status, 200, res.body);
    const answer = res.json as { current: SigningKeyView; next: SigningKeyView };
    assert.equal(answer.current.kid, oldNext.kid);
    assert.equal(answer.current.state, 'current');
    assert.equal(answer.next.state, 'next');
    assert.ok(![oldCurrent.kid, oldNext.kid].includes(answer.next.kid));

    const after = await listKeys(t);
    assert.equal(one(after, 'token', 'current').kid, oldNext.kid);
    assert.equal(one(after, 'token', 'next').kid, answer.next.kid);
    const retired = one(after, 'token', 'retired');
    assert.equal(retired.kid, oldCurrent.kid);
    assert.ok(retired.retired_at !== null);
    assert.ok(retired.published_until !== null && Date.parse(retired.published_until) > Date.now());
    // Other uses are untouched.
    for (const use of ['attestation', 'pins']) {
      assert.equal(one(after, use, 'current').kid, one(before, use, 'current').kid);
      assert.equal(after.filter((k) => k.use === use).length, 2);
    }

    // The process signs with the new current key at once.
    assert.equal(t.services.signingKeys.current('token').kid, oldNext.kid);
    const kids = await jwksKids(t);
    assert.deepEqual([...kids].sort(), [oldCurrent.kid, oldNext.kid, answer.next.kid].sort());
    // A token signed before the rotation still verifies against the served JWKS.
    const jwks = (await call(t, 'GET', '/.well-known/jwks.json', { key: null })).json as JSONWebKeySet;
    const { payload } = await jwtVerify(oldToken, createLocalJWKSet(jwks));
    assert.equal(payload.sub, 'before-rotation');
  });

  it('rotates the token keys when the body is empty', async () => {
    const before = one(await listKeys(t), 'token', 'next').kid;
    const res = await call(t, 'POST', admin('/keys/rotate'));
    assert.equal(res.status, 200, res.body);
    assert.equal(one(await listKeys(t), 'token', 'current').kid, before);
  });

  it('rotates attestation keys without touching the token JWKS', async () => {
    const before = await listKeys(t);
    const kids = await jwksKids(t);
    const res = await call(t, 'POST', admin('/keys/rotate'), { body: { use: 'attestation' } });
    assert.equal(res.status, 200, res.body);
    const after = await listKeys(t);
    assert.equal(one(after, 'attestation', 'current').kid, one(before, 'attestation', 'next').kid);
    assert.equal(one(after, 'attestation', 'retired').kid, one(before, 'attestation', 'current').kid);
    assert.deepEqual(await jwksKids(t), kids);
  });

  it('an unknown use is 400 and rotates nothing', async () => {
    const before = await listKeys(t);
    assertError(await call(t, 'POST', admin('/keys/rotate'), { body: { use: 'bogus' } }), 400, 'invalid_request');
    assertError(await call(t, 'POST', admin('/keys/rotate'), { body: { use: 'token', extra: true } }), 400, 'invalid_request');
    assertError(await call(t, 'POST', admin('/keys/rotate'), { body: { use: 'token', alg: 'HS256' } }), 400, 'invalid_request');
    assert.deepEqual(await listKeys(t), before);
  });
});

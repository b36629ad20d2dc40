// The public JWKS: what a relying party needs to verify our tokens, and nothing private.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, type JSONWebKeySet, type JWK, jwtVerify, SignJWT } from 'jose';
import { signJwt } from '../../src/oauth/index.ts';
import { call, startApp, type TestApp } from '../admin/start-app.ts';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

async function fetchJwks(t: TestApp): Promise<JSONWebKeySet> {
  const res = await call(t, 'GET', '/.well-known/jwks.json', { key: null });
  assert.equal(res.status, 200);
  assert.match(String(res.headers['content-type']), /^application\/(jwk-set\+)?json/);
  return res.json as JSONWebKeySet;
}

describe('/.well-known/jwks.json', () => {
  let t: TestApp;
  before(async () => {
    t = await startApp();
  });
  after(() => t.close());

  it('publishes the current and the next ES256 token key, public parts only', async () => {
    const jwks = await fetchJwks(t);
    assert.equal(jwks.keys.length, 2);
    const kids = new Set<string>();
    for (const key of jwks.keys as JWK[]) {
      assert.equal(key.kty, 'EC');
      assert.equal(key.crv, 'P-256');
      assert.equal(key.alg, 'ES256');
      assert.equal(key.use, 'sig');
      assert.equal(typeof key.kid, 'string');
      assert.ok(key.kid && key.kid.length > 0);
      kids.add(key.kid);
      for (const member of PRIVATE_MEMBERS) assert.ok(!(member in key), `the JWKS exposes "${member}"`);
    }
    assert.equal(kids.size, 2, 'kids are not unique');
    const current = t.services.signingKeys.current('token');
    assert.ok(kids.has(current.kid), 'the current key is not published');
  });

  it('only token keys: attestation and pin-signing keys are not in it', async () => {
    const jwks = await fetchJwks(t);
    const kids = new Set((jwks.keys as JWK[]).map((k) => k.kid));
    for (const use of ['attestation', 'pins'] as const) {
      assert.ok(!kids.has(t.services.signingKeys.current(use).kid), `the ${use} key is in the token JWKS`);
    }
  });

  it('is cacheable', async () => {
    const res = await call(t, 'GET', '/.well-known/jwks.json', { key: null });
    assert.match(String(res.headers['cache-control']), /max-age=\d+/);
  });

  it('verifies a JWT signed with the current token key', async () => {
    const key = t.services.signingKeys.current('token');
    const now = Math.floor(Date.now() / 1000);
    const jwt = await signJwt(key, 'at+jwt', {
      scope: 'openid',
      iss: 'https://issuer.test',
      sub: 'user-1',
      iat: now,
      exp: now + 300,
    });
    const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(await fetchJwks(t)), {
      issuer: 'https://issuer.test',
      algorithms: ['ES256'],
    });
    assert.equal(payload.sub, 'user-1');
    assert.equal(protectedHeader.kid, key.kid);
  });

  it('does not verify a JWT signed by another key under a published kid', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const kid = t.services.signingKeys.current('token').kid;
    const forged = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid }).setSubject('mallory').sign(privateKey);
    await assert.rejects(jwtVerify(forged, createLocalJWKSet(await fetchJwks(t))), {
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    });
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'undici';
import { signJwt } from '../../src/oauth/index.ts';
import { attestationToken, TEST_RELEASE } from '../attestation/attest-fixtures.ts';
import { makeProof, type ProofKey, proofKey } from '../oauth/dpop/dpop-fixtures.ts';
import { type Answer, answer, basic, type OAuthServer, postForm, startOAuthServer } from '../oauth/start-oauth-server.ts';
import { addRoute, registerApp, serviceClient, startUpstream, type Upstream } from './gateway-fixtures.ts';

const APP = 'com.example.catalog';

describe('gateway: access tokens, scopes, attestation and DPoP binding', () => {
  let server: OAuthServer;
  let upstream: Upstream;
  let service: Awaited<ReturnType<typeof serviceClient>>;
  const call = async (path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> =>
    answer(await fetch(`${server.issuer}${path}`, { method, headers }));
  /** A client-credentials token bound to `key` (RFC 9449 §5). */
  const boundToken = (key: ProofKey, scope = 'read') =>
    makeProof(server, key, { htu: `${server.issuer}/oauth/token` }).then((dpop) => service.token(scope, { dpop }));
  const proof = (key: ProofKey, path: string, accessToken?: string, extra: Record<string, unknown> = {}) =>
    makeProof(server, key, {
      htm: 'GET',
      htu: `${server.issuer}${path}`,
      nonce: null,
      ...(accessToken ? { accessToken } : {}),
      ...extra,
    });

  before(async () => {
    server = await startOAuthServer();
    upstream = await startUpstream();
    service = await serviceClient(server, ['read', 'write']);
    await registerApp(server, APP, TEST_RELEASE);
    const base = { upstream: upstream.url };
    await addRoute(server, { ...base, match: '/bearer', attestation: 'off', binding: 'none', scopes: ['read'] });
    await addRoute(server, { ...base, match: '/write', attestation: 'off', binding: 'none', scopes: ['read', 'write'] });
    await addRoute(server, {
      ...base,
      match: '/elsewhere',
      attestation: 'off',
      binding: 'none',
      audience: 'https://other.example/api',
    });
    await addRoute(server, { ...base, match: '/dpop', attestation: 'off' });
    await addRoute(server, { ...base, match: '/attested' });
    await addRoute(server, { ...base, match: '/attested-bearer', binding: 'none' });
    await addRoute(server, { ...base, match: '/app-only', auth: 'off' });
  });
  after(async () => {
    await server.close();
    await upstream.close();
  });

  it('no token: 401 with a bare Bearer challenge (RFC 6750 §3.1); nothing reaches the upstream', async () => {
    const count = upstream.seen.length;
    const res = await call('/bearer/x');
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="portcullis"');
    assert.equal(res.json?.error, 'invalid_token');
    assert.equal(upstream.seen.length, count);
  });

  it('a valid bearer token passes; the upstream learns the client and scopes, never the token', async () => {
    const token = await service.token('read');
    const res = await call('/bearer/x', { authorization: `Bearer ${token}` });
    assert.equal(res.status, 200, res.text);
    const h = upstream.last().headers;
    assert.equal(h['x-portcullis-client'], service.clientId);
    assert.equal(h['x-portcullis-scopes'], 'read');
    assert.equal(h['x-portcullis-user'], undefined, 'a client-credentials token has no user');
    assert.equal(h.authorization, undefined);
  });

  it('expired, forged, alg none, ID token and unknown-issuer tokens are refused with invalid_token', async () => {
    const key = server.built.services.signingKeys.current('token');
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: server.issuer,
      sub: service.clientId,
      client_id: service.clientId,
      aud: server.issuer,
      jti: 'j1',
      scope: 'read',
    };
    const expired = await signJwt(key, 'at+jwt', { ...claims, iat: now - 600, exp: now - 60 });
    const notYet = await signJwt(key, 'at+jwt', { ...claims, iat: now, nbf: now + 120, exp: now + 600 });
    const wrongIssuer = await signJwt(key, 'at+jwt', { ...claims, iss: 'https://evil.example', iat: now, exp: now + 600 });
    const idTyp = await signJwt(key, 'JWT', { ...claims, iat: now, exp: now + 600 });
    const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const none = `${part({ alg: 'none', typ: 'at+jwt' })}.${part({ ...claims, iat: now, exp: now + 600 })}.`;
    const valid = await service.token('read');
    const [h, p] = valid.split('.');
    const tampered = `${h}.${part({ ...JSON.parse(Buffer.from(String(p), 'base64url').toString()), scope: 'read write' })}.${valid.split('.')[2]}`;
    for (const [name, token] of Object.entries({ expired, notYet, wrongIssuer, idTyp, none, tampered, junk: 'abc' })) {
      const res = await call('/bearer/x', { authorization: `Bearer ${token}` });
      assert.equal(res.status, 401, name);
      assert.equal(res.json?.error, 'invalid_token', name);
      assert.match(String(res.headers.get('www-authenticate')), /^Bearer realm="portcullis", error="invalid_token"/, name);
      assert.ok(!res.text.includes(token.slice(0, 40)) || token === 'abc', `${name}: the token is not echoed`);
    }
  });

  it('an ID token from the same server is not an access token', async () => {
    await server.createUser('alice', 'correct horse battery');
    const app = await server.createClient({
      name: 'first party',
      type: 'confidential',
      first_party: true,
      grant_types: ['password'],
      scopes: ['openid', 'profile', 'read'],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    const res = await postForm(
      `${server.issuer}/oauth/token`,
      { grant_type: 'password', username: 'alice', password: 'correct horse battery', scope: 'openid read' },
      basic(app.client_id, String(app.client_secret)),
    );
    assert.equal(res.status, 200, res.text);
    const refused = await call('/bearer/x', { authorization: `Bearer ${String(res.json?.id_token)}` });
    assert.equal(refused.status, 401);
    // The access token of the same grant works, and names the user.
    const ok = await call('/bearer/x', { authorization: `Bearer ${String(res.json?.access_token)}` });
    assert.equal(ok.status, 200, ok.text);
    assert.match(String(upstream.last().headers['x-portcullis-user']), /^[0-9a-f-]{36}$/);
  });

  it('a revoked token stops working at once, although it verified before (and was cached)', async () => {
    const token = await service.token('read');
    assert.equal((await call('/bearer/x', { authorization: `Bearer ${token}` })).status, 200);
    const revoked = await postForm(`${server.issuer}/oauth/revoke`, { token }, basic(service.clientId, service.secret));
    assert.equal(revoked.status, 200);
    const res = await call('/bearer/x', { authorization: `Bearer ${token}` });
    assert.equal(res.status, 401);
    assert.equal(res.json?.error, 'invalid_token');
  });

  it('one keep-alive connection: each request is judged on its own headers, a revocation at once, whatever the connection sent before', async () => {
    const connection = new Client(server.issuer, { pipelining: 1 });
    const send = async (headers: Record<string, string>) => {
      const res = await connection.request({ path: '/attested-bearer/x', method: 'GET', headers });
      const text = await res.body.text();
      return { status: res.statusCode, error: text.startsWith('{') ? JSON.parse(text).error : undefined };
    };
    try {
      const key = await proofKey();
      const [first, second] = [await service.token('read'), await service.token('read')];
      const attested = { 'portcullis-attestation': await attestationToken(server, key, { app_id: APP, device_id: 'device-9' }) };
      assert.equal((await send({ authorization: `Bearer ${first}`, ...attested })).status, 200);
      assert.equal((await send({ authorization: `Bearer ${first}`, ...attested })).status, 200, 'the same headers again');
      assert.deepEqual(await send({ authorization: `Bearer  ${first}`, ...attested }), { status: 401, error: 'invalid_token' });
      assert.deepEqual(await send({ authorization: `Bearer ${first}x`, ...attested }), { status: 401, error: 'invalid_token' });
      assert.deepEqual(await send({ authorization: `Bearer ${first}`, 'portcullis-attestation': 'x.y.z' }), {
        status: 401,
        error: 'attestation_invalid',
      });
      assert.equal((await send({ authorization: `Bearer ${second}`, ...attested })).status, 200, 'another token');
      const revoked = await postForm(`${server.issuer}/oauth/revoke`, { token: first }, basic(service.clientId, service.secret));
      assert.equal(revoked.status, 200);
      assert.deepEqual(await send({ authorization: `Bearer ${first}`, ...attested }), { status: 401, error: 'invalid_token' });
      assert.equal((await send({ authorization: `Bearer ${second}`, ...attested })).status, 200);
    } finally {
      await connection.close();
    }
  });

  it('a token for another audience is refused; a missing scope is 403 insufficient_scope naming it', async () => {
    const token = await service.token('read');
    assert.equal((await call('/elsewhere/x', { authorization: `Bearer ${token}` })).status, 401);
    const res = await call('/write/x', { authorization: `Bearer ${token}` });
    assert.equal(res.status, 403);
    assert.equal(res.json?.error, 'insufficient_scope');
    assert.match(String(res.headers.get('www-authenticate')), /error="insufficient_scope".*scope="read write"/);
    const both = await service.token('read write');
    assert.equal((await call('/write/x', { authorization: `Bearer ${both}` })).status, 200);
  });

  it('an access token in the query string is refused (RFC 9700 §2.5)', async () => {
    const token = await service.token('read');
    const res = await call(`/bearer/x?access_token=${token}`);
    assert.equal(res.status, 400);
    assert.equal(res.json?.error, 'invalid_request');
  });

  it('DPoP route: a bound token with a fresh proof passes; replay, missing ath or another token’s, wrong htu, other key and Bearer use fail', async () => {
    const key = await proofKey();
    const token = await boundToken(key);
    const good = await proof(key, '/dpop/a', token);
    assert.equal((await call('/dpop/a', { authorization: `DPoP ${token}`, dpop: good })).status, 200);
    const replay = await call('/dpop/a', { authorization: `DPoP ${token}`, dpop: good });
    assert.equal(replay.status, 401);
    assert.equal(replay.json?.error, 'invalid_dpop_proof');
    assert.match(String(replay.headers.get('www-authenticate')), /^DPoP realm="portcullis", algs="[^"]*ES256/);
    const noAth = await call('/dpop/a', { authorization: `DPoP ${token}`, dpop: await proof(key, '/dpop/a') });
    assert.equal(noAth.status, 401);
    // RFC 9449 §7.1: ath is the hash of this very token; another token of the same key will not do.
    const otherToken = await boundToken(key);
    assert.notEqual(otherToken, token);
    const otherAth = await call('/dpop/a', { authorization: `DPoP ${token}`, dpop: await proof(key, '/dpop/a', otherToken) });
    assert.equal(otherAth.status, 401);
    assert.match(String(otherAth.json?.error_description), /ath/);
    assert.equal(
      (await call('/dpop/a', { authorization: `DPoP ${otherToken}`, dpop: await proof(key, '/dpop/a', otherToken) })).status,
      200,
    );
    const wrongHtu = await call('/dpop/a', { authorization: `DPoP ${token}`, dpop: await proof(key, '/dpop/b', token) });
    assert.equal(wrongHtu.status, 401);
    const wrongMethod = await call(
      '/dpop/a',
      { authorization: `DPoP ${token}`, dpop: await proof(key, '/dpop/a', token) },
      'POST',
    );
    assert.equal(wrongMethod.status, 401);
    const thief = await proofKey();
    const stolen = await call('/dpop/a', { authorization: `DPoP ${token}`, dpop: await proof(thief, '/dpop/a', token) });
    assert.equal(stolen.status, 401);
    assert.equal(stolen.json?.error, 'invalid_token');
    const asBearer = await call('/dpop/a', { authorization: `Bearer ${token}` });
    assert.equal(asBearer.status, 401);
    const unbound = await service.token('read');
    const bearerOnDpop = await call('/dpop/a', { authorization: `Bearer ${unbound}` });
    assert.equal(bearerOnDpop.status, 401);
    assert.match(String(bearerOnDpop.json?.error_description), /DPoP-bound/);
  });

  it('attestation required: missing is attestation_required, junk is attestation_invalid', async () => {
    const key = await proofKey();
    const token = await boundToken(key);
    const missing = await call('/attested/x', { authorization: `DPoP ${token}`, dpop: await proof(key, '/attested/x', token) });
    assert.equal(missing.status, 401);
    assert.equal(missing.json?.error, 'attestation_required');
    const junk = await call('/attested/x', {
      authorization: `DPoP ${token}`,
      dpop: await proof(key, '/attested/x', token),
      'portcullis-attestation': 'x.y.z',
    });
    assert.equal(junk.status, 401);
    assert.equal(junk.json?.error, 'attestation_invalid');
  });

  it('attested app, DPoP-bound token, one proof by the same key: passes, and the upstream learns device and app', async () => {
    const key = await proofKey();
    const attestation = await attestationToken(server, key, { app_id: APP, device_id: 'device-7' });
    const token = await boundToken(key);
    const res = await call('/attested/x', {
      authorization: `DPoP ${token}`,
      dpop: await proof(key, '/attested/x', token),
      'portcullis-attestation': attestation,
    });
    assert.equal(res.status, 200, res.text);
    const h = upstream.last().headers;
    assert.equal(h['x-portcullis-device'], 'device-7');
    assert.equal(h['x-portcullis-app'], APP);
    assert.equal(h['x-portcullis-client'], service.clientId);
  });

  it('an attestation token from another key is refused, with either key making the proof', async () => {
    const key = await proofKey();
    const other = await proofKey();
    const stolenAttestation = await attestationToken(server, other, { app_id: APP, device_id: 'device-8' });
    const token = await boundToken(key);
    const res = await call('/attested/x', {
      authorization: `DPoP ${token}`,
      dpop: await proof(key, '/attested/x', token),
      'portcullis-attestation': stolenAttestation,
    });
    assert.equal(res.status, 401);
    assert.equal(res.json?.error, 'attestation_invalid');
    const appOnly = await call('/app-only/x', {
      dpop: await proof(key, '/app-only/x'),
      'portcullis-attestation': stolenAttestation,
    });
    assert.equal(appOnly.status, 401);
    assert.equal(appOnly.json?.error, 'attestation_invalid');
  });

  it('attestation without access tokens (auth off) needs the attested key proof; binding none needs no proof', async () => {
    const key = await proofKey();
    const attestation = await attestationToken(server, key, { app_id: APP, device_id: 'device-9' });
    const noProof = await call('/app-only/x', { 'portcullis-attestation': attestation });
    assert.equal(noProof.status, 401);
    assert.equal(noProof.json?.error, 'attestation_invalid');
    const ok = await call('/app-only/x', { 'portcullis-attestation': attestation, dpop: await proof(key, '/app-only/x') });
    assert.equal(ok.status, 200, ok.text);
    const bearer = await service.token('read');
    const bearerOk = await call('/attested-bearer/x', {
      authorization: `Bearer ${bearer}`,
      'portcullis-attestation': attestation,
    });
    assert.equal(bearerOk.status, 200, bearerOk.text);
  });
});

// Attacks on DPoP (RFC 9449 §4.3, §5, §7, §8, §11) with hand-made proofs: each must be refused.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { exportJWK } from 'jose';
import { NONCE_WINDOW_MS } from '../../../src/oauth/dpop/dpop-nonce.ts';
import { assertOAuthError, type CreatedClient, clientBody, urls } from '../security/oauth-fixtures.ts';
import { type OAuthServer, postForm, startOAuthServer } from '../start-oauth-server.ts';
import { claimsOf, freshNonce, makeProof, type ProofKey, type ProofOptions, proofKey, unsignedProof } from './dpop-fixtures.ts';

const PASSWORD = 'dpop-attacks-pw-1';

let server: OAuthServer;
let tokenUrl: string;
let userinfoUrl: string;
/** Public first-party app allowed openid, so its password-grant tokens work at userinfo. */
let app: CreatedClient;
let key: ProofKey;

before(async () => {
  server = await startOAuthServer();
  tokenUrl = urls(server).token;
  userinfoUrl = `${server.issuer}/oauth/userinfo`;
  await server.createUser('mallory-target', PASSWORD);
  app = await server.createClient(
    clientBody({ type: 'public', first_party: true, grant_types: ['password', 'refresh_token'], scopes: ['openid', 'profile'] }),
  );
  key = await proofKey();
});
after(() => server.close());

const passwordForm = () => ({
  grant_type: 'password',
  username: 'mallory-target',
  password: PASSWORD,
  scope: 'openid profile',
  client_id: app.client_id,
});

/** A password-grant request to the token endpoint with the given DPoP header (or none). */
const tokenRequest = (dpop: string | undefined, form: Record<string, string> = passwordForm()) =>
  postForm(tokenUrl, form, dpop === undefined ? {} : { dpop });

const proofFor = (options: Partial<ProofOptions> = {}, by: ProofKey = key) =>
  makeProof(server, by, { htu: tokenUrl, ...options });

/** A DPoP-bound token pair for the app, made with `by`. */
async function boundTokens(by: ProofKey): Promise<{ access_token: string; refresh_token: string }> {
  const res = await tokenRequest(await proofFor({}, by));
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json?.token_type, 'DPoP');
  return res.json as { access_token: string; refresh_token: string };
}

const userinfo = async (headers: Record<string, string>) => {
  const res = await fetch(userinfoUrl, { headers });
  return { status: res.status, challenge: res.headers.get('www-authenticate') ?? '', nonce: res.headers.get('dpop-nonce') };
};

describe('DPoP proofs at the token endpoint', () => {
  test('a valid proof works once; the same proof again is a replay', async () => {
    const proof = await proofFor();
    const first = await tokenRequest(proof);
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(claimsOf(first.json?.access_token as string).cnf, { jkt: key.jkt });
    assert.ok(first.headers.get('dpop-nonce'));
    assertOAuthError(await tokenRequest(proof), 400, 'invalid_dpop_proof');
  });

  const refused: [string, RegExp, () => Promise<string>][] = [
    ['wrong htm', /htm/, () => proofFor({ htm: 'GET' })],
    ['wrong htu (another endpoint)', /htu/, () => proofFor({ htu: `${server.issuer}/oauth/introspect` })],
    ['wrong htu (another host)', /htu/, () => proofFor({ htu: tokenUrl.replace('127.0.0.1', 'localhost') })],
    ['iat ten minutes old', /iat/, () => proofFor({ iat: Math.floor(Date.now() / 1000) - 600 })],
    ['iat a minute ahead', /iat/, () => proofFor({ iat: Math.floor(Date.now() / 1000) + 60 })],
    ['typ not dpop+jwt', /CLAIM_VALIDATION/, () => proofFor({ header: { typ: 'JWT' } })],
    ['alg none', /ALG_NOT_ALLOWED/, async () => unsignedProof(key, tokenUrl, freshNonce(server))],
    [
      'HS256 keyed with a jwk the attacker chose',
      /public key/,
      async () => {
        const secret = new Uint8Array(32).fill(7);
        const jwk = { kty: 'oct', k: Buffer.from(secret).toString('base64url') };
        return proofFor({ header: { alg: 'HS256', jwk }, signWith: secret });
      },
    ],
    [
      'HS256 with the public jwk',
      /ALG_NOT_ALLOWED/,
      async () => proofFor({ header: { alg: 'HS256' }, signWith: new Uint8Array(32).fill(1) }),
    ],
    ['private key in the jwk header', /public key/, async () => proofFor({ header: { jwk: await exportJWK(key.privateKey) } })],
    [
      'signed by a key other than the jwk header',
      /SIGNATURE_VERIFICATION/,
      async () => proofFor({ signWith: (await proofKey()).privateKey }),
    ],
    ['no jwk header', /no jwk/, () => proofFor({ header: { jwk: undefined } })],
    ['not a JWT', /not a JWT/, async () => 'not-a-jwt'],
  ];
  for (const [name, why, make] of refused) {
    test(`refused: ${name}`, async () => {
      const res = await tokenRequest(await make());
      assertOAuthError(res, 400, 'invalid_dpop_proof');
      assert.match(String(res.json?.error_description), why, 'refused for the reason under test');
    });
  }

  test('two DPoP headers are refused', async () => {
    const proofs = [await proofFor(), await proofFor()];
    const body = new URLSearchParams(passwordForm()).toString();
    const { status, json } = await new Promise<{ status: number; json: Record<string, unknown> }>((resolve, reject) => {
      const url = new URL(tokenUrl);
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: proofs },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    assert.equal(status, 400);
    assert.equal(json.error, 'invalid_dpop_proof');
  });

  test('through app.inject, which has no headersDistinct, a proof still works', async () => {
    const res = await server.built.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: await proofFor() },
      payload: new URLSearchParams(passwordForm()).toString(),
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().token_type, 'DPoP');
  });

  test('htu is compared after normalization, ignoring the query (RFC 9449 §4.3)', async () => {
    const shouting = tokenUrl.replace('http://', 'HTTP://').replace('/oauth/token', '/oauth/%74oken');
    const res = await tokenRequest(await proofFor({ htu: `${shouting}?ignored=1` }));
    assert.equal(res.status, 200, res.text);
  });

  test('a missing nonce gets use_dpop_nonce and a fresh DPoP-Nonce; the retry with it succeeds', async () => {
    const res = await tokenRequest(await proofFor({ nonce: null }));
    assertOAuthError(res, 400, 'use_dpop_nonce');
    const nonce = res.headers.get('dpop-nonce');
    assert.ok(nonce);
    const retry = await tokenRequest(await proofFor({ nonce }));
    assert.equal(retry.status, 200, retry.text);
  });

  for (const [name, nonce] of [
    ['stale (three windows old)', () => freshNonce(server, Date.now() - 3 * NONCE_WINDOW_MS)],
    ['garbage', () => 'eyJub3QiOiJvdXJzIn0'],
  ] as const) {
    test(`a ${name} nonce gets use_dpop_nonce`, async () => {
      const res = await tokenRequest(await proofFor({ nonce: nonce() }));
      assertOAuthError(res, 400, 'use_dpop_nonce');
      assert.ok(res.headers.get('dpop-nonce'));
    });
  }

  test('a nonce from the previous window is still good', async () => {
    const res = await tokenRequest(await proofFor({ nonce: freshNonce(server, Date.now() - NONCE_WINDOW_MS) }));
    assert.equal(res.status, 200, res.text);
  });
});

describe('DPoP-bound refresh tokens of a public client', () => {
  test('another key or no proof: invalid_grant, and the grant survives for its owner', async () => {
    const { refresh_token } = await boundTokens(key);
    const form = { grant_type: 'refresh_token', refresh_token, client_id: app.client_id };
    assertOAuthError(await tokenRequest(await proofFor({}, await proofKey()), form), 400, 'invalid_grant');
    assertOAuthError(await tokenRequest(undefined, form), 400, 'invalid_grant');
    const owner = await tokenRequest(await proofFor(), form);
    assert.equal(owner.status, 200, owner.text);
    assert.deepEqual(claimsOf(owner.json?.access_token as string).cnf, { jkt: key.jkt });
    // The rotated token carries the binding on.
    const next = { ...form, refresh_token: owner.json?.refresh_token as string };
    assertOAuthError(await tokenRequest(await proofFor({}, await proofKey()), next), 400, 'invalid_grant');
  });
});

describe('DPoP at userinfo', () => {
  let accessToken: string;
  before(async () => {
    ({ access_token: accessToken } = await boundTokens(key));
  });
  const proofAt = (options: Partial<ProofOptions> = {}, by: ProofKey = key) =>
    makeProof(server, by, { htu: userinfoUrl, htm: 'GET', nonce: null, accessToken, ...options });

  test('with the DPoP scheme and a proof by the bound key', async () => {
    const res = await userinfo({ authorization: `DPoP ${accessToken}`, dpop: await proofAt() });
    assert.equal(res.status, 200);
  });

  test('a DPoP-bound token sent as a bearer token is refused', async () => {
    const res = await userinfo({ authorization: `Bearer ${accessToken}` });
    assert.equal(res.status, 401);
    assert.match(res.challenge, /error="invalid_token"/);
    assert.match(res.challenge, /DPoP /);
  });

  test('ath of another token is refused', async () => {
    const res = await userinfo({
      authorization: `DPoP ${accessToken}`,
      dpop: await proofAt({ accessToken: 'some-other-token' }),
    });
    assert.equal(res.status, 401);
    assert.match(res.challenge, /^DPoP .*error="invalid_dpop_proof"/);
  });

  test('no ath at all is refused', async () => {
    const res = await userinfo({ authorization: `DPoP ${accessToken}`, dpop: await proofAt({ accessToken: '' }) });
    assert.equal(res.status, 401);
    assert.match(res.challenge, /error="invalid_dpop_proof"/);
  });

  test('a proof by another key is refused', async () => {
    const res = await userinfo({ authorization: `DPoP ${accessToken}`, dpop: await proofAt({}, await proofKey()) });
    assert.equal(res.status, 401);
    assert.match(res.challenge, /^DPoP .*error="invalid_token"/);
  });

  test('the DPoP scheme without a proof is refused', async () => {
    const res = await userinfo({ authorization: `DPoP ${accessToken}` });
    assert.equal(res.status, 401);
    assert.match(res.challenge, /error="invalid_dpop_proof"/);
  });

  test('a replayed proof is refused', async () => {
    const proof = await proofAt();
    assert.equal((await userinfo({ authorization: `DPoP ${accessToken}`, dpop: proof })).status, 200);
    const replay = await userinfo({ authorization: `DPoP ${accessToken}`, dpop: proof });
    assert.equal(replay.status, 401);
    assert.match(replay.challenge, /error="invalid_dpop_proof"/);
  });

  test('a proof for the token endpoint is refused here', async () => {
    const res = await userinfo({ authorization: `DPoP ${accessToken}`, dpop: await proofAt({ htu: tokenUrl }) });
    assert.equal(res.status, 401);
  });

  test('a stale nonce in the proof gets use_dpop_nonce with a fresh one', async () => {
    const res = await userinfo({
      authorization: `DPoP ${accessToken}`,
      dpop: await proofAt({ nonce: freshNonce(server, Date.now() - 3 * NONCE_WINDOW_MS) }),
    });
    assert.equal(res.status, 401);
    assert.match(res.challenge, /^DPoP .*error="use_dpop_nonce"/);
    assert.ok(res.nonce);
  });

  test('an unbound bearer token still works as before', async () => {
    const res = await tokenRequest(undefined);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json?.token_type, 'Bearer');
    assert.equal((await userinfo({ authorization: `Bearer ${res.json?.access_token}` })).status, 200);
  });
});

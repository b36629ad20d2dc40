// Attacks on introspection (RFC 7662) and revocation (RFC 7009).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { issueAccessToken } from '../../../src/oauth/tokens/access-tokens.ts';
import { type OAuthServer, postForm, startOAuthServer } from '../start-oauth-server.ts';
import {
  assertIssued,
  assertOAuthError,
  basicOf,
  type CreatedClient,
  clientBody,
  introspect,
  jtiOf,
  revokedJtis,
  urls,
} from './oauth-fixtures.ts';

const PASSWORD = 'introspection-pw-1';
const INACTIVE = { active: false };

describe('introspection and revocation attacks', () => {
  let server: OAuthServer;
  let endpoint: ReturnType<typeof urls>;
  /** Confidential resource server that introspects. */
  let rs: CreatedClient;
  /** Two confidential clients that get tokens for themselves. */
  let a: CreatedClient;
  let b: CreatedClient;
  /** Public first-party app with refresh tokens. */
  let pub: CreatedClient;

  const clientToken = async (client: CreatedClient) =>
    assertIssued(await postForm(endpoint.token, { grant_type: 'client_credentials' }, basicOf(client))).access_token;
  const userTokens = async () => {
    const res = await postForm(endpoint.token, {
      grant_type: 'password',
      username: 'alice',
      password: PASSWORD,
      client_id: pub.client_id,
    });
    return assertIssued(res) as { access_token: string; refresh_token: string };
  };

  before(async () => {
    server = await startOAuthServer();
    endpoint = urls(server);
    await server.createUser('alice', PASSWORD);
    const confidential = { type: 'confidential', grant_types: ['client_credentials'], scopes: ['read'] };
    rs = await server.createClient(clientBody(confidential));
    a = await server.createClient(clientBody(confidential));
    b = await server.createClient(clientBody(confidential));
    pub = await server.createClient(
      clientBody({ type: 'public', first_party: true, grant_types: ['password', 'refresh_token'], scopes: ['read'] }),
    );
  });
  after(() => server.close());

  it('control: a live access token introspects active with its claims', async () => {
    const token = await clientToken(a);
    const body = await introspect(server, rs, token);
    assert.equal(body.active, true);
    assert.equal(body.client_id, a.client_id);
    assert.equal(body.scope, 'read');
    assert.equal(body.token_type, 'Bearer');
  });

  // RFC 7662 §2.1 / §4: the endpoint requires authorization, so it cannot be used for token scanning.
  it('a public client (auth none) may not introspect: 401 invalid_client', async () => {
    const token = await clientToken(a);
    const res = await postForm(endpoint.introspect, { token, client_id: pub.client_id });
    assertOAuthError(res, 401, 'invalid_client');
    assert.equal(res.json?.active, undefined);
  });

  it('an unauthenticated caller may not introspect: 401 invalid_client', async () => {
    assertOAuthError(await postForm(endpoint.introspect, { token: await clientToken(a) }), 401, 'invalid_client');
  });

  // RFC 7662 §2.2: for an invalid token the response is {"active": false} and nothing else.
  it('a garbage token is exactly {"active":false}', async () => {
    assert.deepEqual(await introspect(server, rs, 'garbage'), INACTIVE);
    assert.deepEqual(await introspect(server, rs, 'a.b.c'), INACTIVE);
  });

  it('an unknown refresh-shaped token is exactly {"active":false}', async () => {
    assert.deepEqual(await introspect(server, rs, `pcr_${'A'.repeat(43)}`), INACTIVE);
  });

  it('an expired access token signed by our own key is exactly {"active":false}', async () => {
    const expired = await issueAccessToken(server.built.services.signingKeys, {
      issuer: server.issuer,
      clientId: a.client_id,
      scope: 'read',
      audience: server.issuer,
      lifetime: -60,
    });
    assert.ok((decodeJwt(expired.token).exp ?? 0) < Date.now() / 1000);
    assert.deepEqual(await introspect(server, rs, expired.token), INACTIVE);
  });

  it('a token signed by a key we never published (same kid) is exactly {"active":false}', async () => {
    const real = await clientToken(a);
    const { kid, alg } = decodeProtectedHeader(real);
    const forger = await generateKeyPair(alg ?? 'ES256');
    const forged = await new SignJWT(decodeJwt(real))
      .setProtectedHeader({ alg: alg ?? 'ES256', typ: 'at+jwt', kid: kid ?? '' })
      .sign(forger.privateKey);
    assert.deepEqual(await introspect(server, rs, forged), INACTIVE);
  });

  it('an alg "none" JWT with valid claims is exactly {"active":false}', async () => {
    const real = await clientToken(a);
    const unsecured = new UnsecuredJWT(decodeJwt(real)).encode();
    assert.deepEqual(await introspect(server, rs, unsecured), INACTIVE);
  });

  // RFC 7662 §4: the server must not reveal a refresh token to a client it was not issued to.
  it('another client\'s refresh token is exactly {"active":false}', async () => {
    const { refresh_token } = await userTokens();
    assert.deepEqual(await introspect(server, rs, refresh_token), INACTIVE);
  });

  // RFC 7009 §2.1: the server verifies that the token was issued to the client making the request.
  it("a client revoking another client's access token is refused (400) and the token stays active", async () => {
    const token = await clientToken(a);
    const res = await postForm(endpoint.revoke, { token }, basicOf(b));
    assertOAuthError(res, 400, 'invalid_request');
    assert.equal((await introspect(server, rs, token)).active, true);
    assert.ok(!(await revokedJtis(server)).includes(jtiOf(token)));
  });

  it("a client revoking another client's refresh token is refused (400) and the grant survives", async () => {
    const tokens = await userTokens();
    const res = await postForm(endpoint.revoke, { token: tokens.refresh_token }, basicOf(b));
    assertOAuthError(res, 400, 'invalid_request');
    assert.equal((await introspect(server, rs, tokens.access_token)).active, true);
    assertIssued(
      await postForm(endpoint.token, {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: pub.client_id,
      }),
    );
  });

  // RFC 7009 §2.2: an invalid token is answered 200; there is nothing to revoke.
  it('revoking garbage is 200 with an empty body', async () => {
    const res = await postForm(endpoint.revoke, { token: 'garbage' }, basicOf(a));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, '');
  });

  it('revoking an access token makes it inactive and lists it in GET /oauth/revocations', async () => {
    const token = await clientToken(a);
    const res = await postForm(endpoint.revoke, { token }, basicOf(a));
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(await introspect(server, rs, token), INACTIVE);
    const feed = (await (await fetch(endpoint.revocations)).json()) as { revoked: { jti: string; exp: number }[] };
    const entry = feed.revoked.find((r) => r.jti === jtiOf(token));
    assert.deepEqual(entry, { jti: jtiOf(token), exp: decodeJwt(token).exp });
  });

  it('revoking a refresh token (public client) ends the grant and its access token', async () => {
    const tokens = await userTokens();
    const res = await postForm(endpoint.revoke, { token: tokens.refresh_token, client_id: pub.client_id });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(await introspect(server, rs, tokens.access_token), INACTIVE);
    const again = await postForm(endpoint.token, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: pub.client_id,
    });
    assertOAuthError(again, 400, 'invalid_grant');
  });
});

// Attacks on private_key_jwt client authentication (RFC 7523 §3, RFC 7521 §4.2).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT, UnsecuredJWT } from 'jose';
import { type OAuthServer, postForm, startOAuthServer } from '../start-oauth-server.ts';
import { assertIssued, assertOAuthError, type CreatedClient, clientBody, type FormResult, urls } from './oauth-fixtures.ts';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

describe('private_key_jwt attacks', () => {
  let server: OAuthServer;
  let token: string;
  let client: CreatedClient;
  let privateKey: PrivateKey;
  let publicJwk: JWK;

  const now = () => Math.floor(Date.now() / 1000);
  /** RFC 7523 §3 claims for this client; `changes` overrides or (with undefined) removes any of them. */
  const claims = (changes: Record<string, unknown> = {}): JWTPayload => {
    const base: Record<string, unknown> = {
      iss: client.client_id,
      sub: client.client_id,
      aud: token,
      iat: now(),
      exp: now() + 60,
      jti: randomUUID(),
      ...changes,
    };
    for (const [name, value] of Object.entries(base)) if (value === undefined) delete base[name];
    return base as JWTPayload;
  };
  const sign = (payload: JWTPayload, key: PrivateKey = privateKey) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: publicJwk.kid ?? '' }).sign(key);
  const present = (assertion: string, extra: Record<string, string> = {}): Promise<FormResult> =>
    postForm(token, {
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: assertion,
      ...extra,
    });

  before(async () => {
    server = await startOAuthServer();
    token = urls(server).token;
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'client-key-1', alg: 'ES256', use: 'sig' };
    client = await server.createClient(
      clientBody({
        type: 'confidential',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [publicJwk] },
      }),
    );
    assert.equal(client.client_secret, undefined, 'a private_key_jwt client gets no secret');
  });
  after(() => server.close());

  it('a valid assertion (iss = sub = client_id, aud = token endpoint, exp in 60 s, jti) is answered 200', async () => {
    assertIssued(await present(await sign(claims()), { client_id: client.client_id }));
  });

  // RFC 7523 §3 item 7: the server may reject a JWT whose jti it has seen before.
  it('replaying the same assertion is 401 invalid_client', async () => {
    const assertion = await sign(claims());
    assertIssued(await present(assertion));
    assertOAuthError(await present(assertion), 401, 'invalid_client');
  });

  it('an alg "none" assertion is 401 invalid_client', async () => {
    const unsecured = new UnsecuredJWT(claims()).encode();
    assertOAuthError(await present(unsecured), 401, 'invalid_client');
  });

  // Algorithm confusion: an HMAC keyed by something public (here the client's own public JWK).
  it('an HS256 assertion signed with a string is 401 invalid_client', async () => {
    for (const secret of [JSON.stringify(publicJwk), 'some-shared-string', publicJwk.x ?? '']) {
      const hs256 = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'HS256', kid: publicJwk.kid ?? '' })
        .sign(new TextEncoder().encode(secret));
      assertOAuthError(await present(hs256), 401, 'invalid_client');
    }
  });

  it('an assertion for another audience is 401 invalid_client', async () => {
    for (const aud of ['https://elsewhere.example/oauth/token', `${server.issuer}/oauth/introspect`]) {
      assertOAuthError(await present(await sign(claims({ aud }))), 401, 'invalid_client');
    }
  });

  it('an assertion expiring an hour from now is 401 invalid_client', async () => {
    assertOAuthError(await present(await sign(claims({ exp: now() + 3600 }))), 401, 'invalid_client');
  });

  it('an expired assertion is 401 invalid_client', async () => {
    assertOAuthError(await present(await sign(claims({ iat: now() - 600, exp: now() - 300 }))), 401, 'invalid_client');
  });

  it('an assertion without exp or without jti is 401 invalid_client', async () => {
    assertOAuthError(await present(await sign(claims({ exp: undefined }))), 401, 'invalid_client');
    assertOAuthError(await present(await sign(claims({ jti: undefined }))), 401, 'invalid_client');
  });

  it('iss different from sub is 401 invalid_client', async () => {
    assertOAuthError(await present(await sign(claims({ iss: 'pc_someone-else' }))), 401, 'invalid_client');
  });

  it('an assertion signed by a key the client never registered (same kid) is 401 invalid_client', async () => {
    const stranger = await generateKeyPair('ES256');
    assertOAuthError(await present(await sign(claims(), stranger.privateKey)), 401, 'invalid_client');
  });

  it('a client_id in the body naming another client is 401 invalid_client', async () => {
    const res = await present(await sign(claims()), { client_id: 'pc_another-client' });
    assertOAuthError(res, 401, 'invalid_client');
  });

  // RFC 7521 §4.2 / RFC 6749 §5.2: an assertion that is not a usable JWT fails client authentication.
  it('an assertion whose payload is JSON null is 401 invalid_client, not a 500', async () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    const res = await present(`${b64('{"alg":"ES256","kid":"client-key-1"}')}.${b64('null')}.${b64('signature')}`);
    assertOAuthError(res, 401, 'invalid_client');
  });

  it('an assertion that is not a JWT at all is 401 invalid_client', async () => {
    assertOAuthError(await present('not-a-jwt'), 401, 'invalid_client');
  });

  it('a wrong client_assertion_type is 400 invalid_request', async () => {
    const res = await present(await sign(claims()), { client_assertion_type: 'urn:example:not-jwt-bearer' });
    assertOAuthError(res, 400, 'invalid_request');
  });
});

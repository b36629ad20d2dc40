// RFC 9449 DPoP driven by a certified client (oauth4webapi): client credentials, password + refresh
// for a public app, userinfo as a protected resource, introspection and discovery.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { assertOAuthError, basicOf, clientBody, introspect, urls } from '../security/oauth-fixtures.ts';
import { type OAuthServer, postForm, startOAuthServer } from '../start-oauth-server.ts';
import { claimsOf, discover, insecure, withNonceRetry } from './dpop-fixtures.ts';

const PASSWORD = 'dpop-clients-pw-1';

let server: OAuthServer;
let as: oauth.AuthorizationServer;
before(async () => {
  server = await startOAuthServer();
  as = await discover(server);
  await server.createUser('dana', PASSWORD);
});
after(() => server.close());

async function thumbprintOf(keyPair: oauth.CryptoKeyPair): Promise<string> {
  return calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
}

/** Dana's password grant with a proof from `DPoP`, retried once on use_dpop_nonce. */
function passwordGrant(client: oauth.Client, auth: oauth.ClientAuth, DPoP: oauth.DPoPHandle, scope?: string) {
  const parameters = new URLSearchParams({ username: 'dana', password: PASSWORD, ...(scope ? { scope } : {}) });
  return withNonceRetry(async () =>
    oauth.processGenericTokenEndpointResponse(
      as,
      client,
      await oauth.genericTokenEndpointRequest(as, client, auth, 'password', parameters, { DPoP, ...insecure }),
    ),
  );
}

/** A refresh grant with a proof from `DPoP`, retried once on use_dpop_nonce. */
function refreshGrant(client: oauth.Client, auth: oauth.ClientAuth, DPoP: oauth.DPoPHandle, refreshToken: string) {
  return withNonceRetry(async () =>
    oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, refreshToken, { DPoP, ...insecure }),
    ),
  );
}

describe('DPoP with oauth4webapi', () => {
  test('discovery lists the DPoP algorithms, asymmetric only', () => {
    const algs = as.dpop_signing_alg_values_supported ?? [];
    assert.ok(algs.includes('ES256') && algs.includes('EdDSA'), String(algs));
    for (const alg of algs) assert.doesNotMatch(alg, /^(none|HS\d+)$/);
  });

  test('client credentials: use_dpop_nonce, one retry, then a DPoP token bound to the key', async () => {
    const m2m = await server.createClient(
      clientBody({ type: 'confidential', grant_types: ['client_credentials'], scopes: ['read'] }),
    );
    const client: oauth.Client = { client_id: m2m.client_id };
    const keyPair = await oauth.generateKeyPair('ES256');
    const DPoP = oauth.DPoP(client, keyPair);
    const nonces: (string | null)[] = [];
    const { result, attempts } = await withNonceRetry(async () => {
      const response = await oauth.clientCredentialsGrantRequest(
        as,
        client,
        oauth.ClientSecretBasic(m2m.client_secret!),
        new URLSearchParams({ scope: 'read' }),
        { DPoP, ...insecure },
      );
      nonces.push(response.headers.get('dpop-nonce'));
      return oauth.processClientCredentialsResponse(as, client, response);
    });
    assert.equal(attempts, 2, 'the first proof has no nonce, so the server asks for one (RFC 9449 §8)');
    assert.ok(nonces[0] && nonces[1], 'both the error and the token response carry a DPoP-Nonce');
    assert.equal(result.token_type, 'dpop');
    const claims = claimsOf(result.access_token);
    assert.deepEqual(claims.cnf, { jkt: await thumbprintOf(keyPair) });

    const rs = await server.createClient(clientBody({ type: 'confidential', grant_types: ['client_credentials'] }));
    const described = await introspect(server, rs, result.access_token);
    assert.equal(described.active, true);
    assert.equal(described.token_type, 'DPoP');
    assert.deepEqual(described.cnf, { jkt: await thumbprintOf(keyPair) });
  });

  test('a client registered with require_dpop gets no token without a proof', async () => {
    const strict = await server.createClient(
      clientBody({ type: 'confidential', grant_types: ['client_credentials'], require_dpop: true }),
    );
    const res = await postForm(urls(server).token, { grant_type: 'client_credentials' }, basicOf(strict));
    assertOAuthError(res, 400, 'invalid_request');
    assert.ok(res.headers.get('dpop-nonce'), 'the refusal hands out a nonce for the proof to come');
  });

  test('password + refresh for a public app: the refresh token is bound to the key (RFC 9449 §5)', async () => {
    const app = await server.createClient(
      clientBody({
        type: 'public',
        first_party: true,
        grant_types: ['password', 'refresh_token'],
        scopes: ['openid', 'profile'],
      }),
    );
    const client: oauth.Client = { client_id: app.client_id };
    const keyPair = await oauth.generateKeyPair('ES256');
    const DPoP = oauth.DPoP(client, keyPair);
    const jkt = await thumbprintOf(keyPair);
    const { result: first } = await passwordGrant(client, oauth.None(), DPoP, 'openid profile');
    assert.equal(first.token_type, 'dpop');
    assert.deepEqual(claimsOf(first.access_token).cnf, { jkt });
    assert.ok(first.refresh_token);

    // The nonce from the last answer is cached by the handle, so no retry is needed now.
    const { result: second, attempts } = await refreshGrant(client, oauth.None(), DPoP, first.refresh_token!);
    assert.equal(attempts, 1);
    assert.equal(second.token_type, 'dpop');
    assert.deepEqual(claimsOf(second.access_token).cnf, { jkt });
    assert.notEqual(second.refresh_token, first.refresh_token, 'public clients rotate');

    // Another key, even through a well-behaved client, cannot use it.
    const thief = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    await assert.rejects(
      refreshGrant(client, oauth.None(), thief, second.refresh_token!),
      (err: unknown) => err instanceof oauth.ResponseBodyError && err.error === 'invalid_grant',
    );
  });

  test('a confidential client: refresh token not bound, the new access token is bound to the new proof', async () => {
    const app = await server.createClient(
      clientBody({ type: 'confidential', first_party: true, grant_types: ['password', 'refresh_token'], scopes: ['read'] }),
    );
    const client: oauth.Client = { client_id: app.client_id };
    const auth = oauth.ClientSecretBasic(app.client_secret!);
    const firstKey = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    const { result: first } = await passwordGrant(client, auth, firstKey);
    const otherPair = await oauth.generateKeyPair('ES256');
    const otherKey = oauth.DPoP(client, otherPair);
    const { result: second } = await refreshGrant(client, auth, otherKey, first.refresh_token!);
    assert.equal(second.refresh_token, first.refresh_token, 'a confidential client keeps its unbound refresh token');
    assert.deepEqual(claimsOf(second.access_token).cnf, { jkt: await thumbprintOf(otherPair) });
  });

  test('userinfo with a DPoP-bound token through protectedResourceRequest', async () => {
    const app = await server.createClient(
      clientBody({ type: 'public', first_party: true, grant_types: ['password'], scopes: ['openid', 'profile'] }),
    );
    const client: oauth.Client = { client_id: app.client_id };
    const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    const { result } = await passwordGrant(client, oauth.None(), DPoP, 'openid profile');
    for (const method of ['GET', 'POST']) {
      const response = await oauth.protectedResourceRequest(
        result.access_token,
        method,
        new URL(as.userinfo_endpoint!),
        new Headers(),
        null,
        { DPoP, ...insecure },
      );
      assert.equal(response.status, 200, await response.clone().text());
      const body = (await response.json()) as Record<string, unknown>;
      assert.equal(body.preferred_username, 'dana');
    }
  });
});

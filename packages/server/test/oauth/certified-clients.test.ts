import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { type OAuthServer, startOAuthServer } from './start-oauth-server.ts';

let server: OAuthServer;
before(async () => {
  server = await startOAuthServer();
});
after(() => server.close());

const insecure = { execute: [client.allowInsecureRequests] };

async function introspector(): Promise<client.Configuration> {
  const rs = await server.createClient({ name: 'resource server', type: 'confidential', grant_types: ['client_credentials'] });
  return client.discovery(new URL(server.issuer), rs.client_id, undefined, client.ClientSecretBasic(rs.client_secret!), insecure);
}

describe('J3 machine to machine, driven by openid-client', () => {
  test('discovery names this issuer and only grants that work', async () => {
    const m2m = await server.createClient({
      name: 'm2m',
      type: 'confidential',
      grant_types: ['client_credentials'],
      scopes: ['read'],
    });
    const config = await client.discovery(new URL(server.issuer), m2m.client_id, m2m.client_secret, undefined, insecure);
    const meta = config.serverMetadata();
    assert.equal(meta.issuer, server.issuer);
    assert.deepEqual([...(meta.grant_types_supported ?? [])].sort(), [
      'authorization_code',
      'client_credentials',
      'implicit',
      'password',
      'refresh_token',
    ]);
    const wellKnown = await (await fetch(`${server.issuer}/.well-known/oauth-authorization-server`)).json();
    assert.deepEqual(wellKnown, await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json());
  });

  for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
    test(`client credentials with ${method}: an RFC 9068 JWT access token, no refresh token`, async () => {
      const m2m = await server.createClient({
        name: method,
        type: 'confidential',
        grant_types: ['client_credentials'],
        scopes: ['read', 'write'],
        token_endpoint_auth_method: method,
      });
      const auth =
        method === 'client_secret_basic'
          ? client.ClientSecretBasic(m2m.client_secret!)
          : client.ClientSecretPost(m2m.client_secret!);
      const config = await client.discovery(new URL(server.issuer), m2m.client_id, undefined, auth, insecure);
      const tokens = await client.clientCredentialsGrant(config, { scope: 'read' });
      assert.equal(tokens.token_type, 'bearer');
      assert.equal(tokens.refresh_token, undefined, 'RFC 6749 §4.4.3: no refresh token');
      assert.equal(tokens.scope, 'read');
      const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
      const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
        issuer: server.issuer,
        audience: server.issuer,
        typ: 'at+jwt',
      });
      assert.equal(protectedHeader.alg, 'ES256');
      assert.equal(payload.sub, m2m.client_id, 'RFC 9068 §2.2: sub is the client for client credentials');
      assert.equal(payload.client_id, m2m.client_id);
      assert.equal(payload.scope, 'read');
      assert.equal(payload.auth_time, undefined);
      assert.ok(typeof payload.jti === 'string' && payload.jti.length >= 16);
      assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 900);
    });
  }

  test('client credentials with private_key_jwt (RFC 7523)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const m2m = await server.createClient({
      name: 'pkjwt',
      type: 'confidential',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [jwk] },
    });
    assert.equal(m2m.client_secret, undefined);
    const config = await client.discovery(
      new URL(server.issuer),
      m2m.client_id,
      undefined,
      client.PrivateKeyJwt({ key: privateKey, kid: 'k1' }),
      insecure,
    );
    const first = await client.clientCredentialsGrant(config);
    const second = await client.clientCredentialsGrant(config);
    assert.notEqual(first.access_token, second.access_token, 'each call signs a fresh assertion and gets a fresh token');
  });

  test('resource indicators (RFC 8707) set the audience', async () => {
    const m2m = await server.createClient({
      name: 'aud',
      type: 'confidential',
      grant_types: ['client_credentials'],
      resources: ['https://api.example.com/'],
    });
    const config = await client.discovery(
      new URL(server.issuer),
      m2m.client_id,
      undefined,
      client.ClientSecretBasic(m2m.client_secret!),
      insecure,
    );
    const tokens = await client.clientCredentialsGrant(config, { resource: 'https://api.example.com/' });
    const { payload } = await jwtVerify(
      tokens.access_token,
      createRemoteJWKSet(new URL(`${server.issuer}/.well-known/jwks.json`)),
    );
    assert.equal(payload.aud, 'https://api.example.com/');
    await assert.rejects(client.clientCredentialsGrant(config, { resource: 'https://bank.example/api' }), (err: unknown) => {
      return (err as { error?: string }).error === 'invalid_target';
    });
  });

  test('oauth4webapi accepts the token as a resource server validating RFC 9068', async () => {
    const m2m = await server.createClient({
      name: 'o4w',
      type: 'confidential',
      grant_types: ['client_credentials'],
      scopes: ['read'],
    });
    const as = await oauth
      .discoveryRequest(new URL(server.issuer), { [oauth.allowInsecureRequests]: true })
      .then((res) => oauth.processDiscoveryResponse(new URL(server.issuer), res));
    const c: oauth.Client = { client_id: m2m.client_id };
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      c,
      oauth.ClientSecretBasic(m2m.client_secret!),
      { scope: 'read' },
      { [oauth.allowInsecureRequests]: true },
    );
    const result = await oauth.processClientCredentialsResponse(as, c, response);
    const request = new Request('https://api.example.com/products', {
      headers: { authorization: `Bearer ${result.access_token}` },
    });
    const claims = await oauth.validateJwtAccessToken(as, request, server.issuer, { [oauth.allowInsecureRequests]: true });
    assert.equal(claims.client_id, m2m.client_id);
    assert.equal(claims.scope, 'read');
  });
});

describe('J1 first-party app: password grant, refresh, introspection, revocation (openid-client)', () => {
  test('the whole journey', async () => {
    await server.createUser('alice', 'correct horse battery');
    const app = await server.createClient({
      name: 'Catalog of Products',
      type: 'public',
      first_party: true,
      grant_types: ['password', 'refresh_token'],
      scopes: ['products:read', 'favorites'],
    });
    const config = await client.discovery(new URL(server.issuer), app.client_id, undefined, client.None(), insecure);
    const tokens = await client.genericGrantRequest(config, 'password', {
      username: 'alice',
      password: 'correct horse battery',
      scope: 'products:read favorites',
    });
    assert.ok(tokens.refresh_token);
    const { payload } = await jwtVerify(
      tokens.access_token,
      createRemoteJWKSet(new URL(`${server.issuer}/.well-known/jwks.json`)),
      { typ: 'at+jwt' },
    );
    const res = await fetch(`${server.issuer}/admin/v1/users/alice`, { headers: { authorization: `Bearer ${server.adminKey}` } });
    const alice = (await res.json()) as { id: string };
    assert.equal(payload.sub, alice.id);
    assert.ok(typeof payload.auth_time === 'number');

    const rs = await introspector();
    const active = await client.tokenIntrospection(rs, tokens.access_token);
    assert.equal(active.active, true);
    assert.equal(active.sub, alice.id);
    assert.equal(active.client_id, app.client_id);

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!, { scope: 'products:read' });
    assert.equal(refreshed.scope, 'products:read', 'scope may narrow');
    assert.ok(
      refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token,
      'a public client gets a new refresh token each time',
    );

    await client.tokenRevocation(config, refreshed.refresh_token!);
    await assert.rejects(
      client.refreshTokenGrant(config, refreshed.refresh_token!),
      (err: unknown) => (err as { error?: string }).error === 'invalid_grant',
    );
    const after = await client.tokenIntrospection(rs, refreshed.access_token);
    assert.deepEqual({ ...after }, { active: false }, 'revoking the refresh token ends the access tokens of its grant');
    const feed = (await (await fetch(`${server.issuer}/oauth/revocations`)).json()) as { revoked: { jti: string }[] };
    assert.ok(feed.revoked.some((r) => r.jti === payload.jti));
  });

  test('a wrong password is invalid_grant', async () => {
    const app = await server.createClient({ name: 'fp', type: 'public', first_party: true, grant_types: ['password'] });
    const config = await client.discovery(new URL(server.issuer), app.client_id, undefined, client.None(), insecure);
    await assert.rejects(
      client.genericGrantRequest(config, 'password', { username: 'alice', password: 'nope nope nope' }),
      (err: unknown) => {
        return (err as { error?: string }).error === 'invalid_grant';
      },
    );
  });
});

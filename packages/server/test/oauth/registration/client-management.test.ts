// RFC 7592: a dynamically registered client reads, replaces and deletes its own registration
// with the registration access token it was given, and with nothing else.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClientView } from '@portcullis/protocol';
import { exportJWK, generateKeyPair } from 'jose';
import * as client from 'openid-client';
import { basic, type OAuthServer, postForm, startOAuthServer } from '../start-oauth-server.ts';
import { type Answer, adminCall, issueInitialAccessToken, register, registrationCall } from './registration-fixtures.ts';

const insecure = { execute: [client.allowInsecureRequests] };

interface Registered {
  client_id: string;
  client_secret?: string;
  registration_access_token: string;
  registration_client_uri: string;
  [name: string]: unknown;
}

function assertInvalidToken(res: Answer): void {
  assert.equal(res.status, 401, res.text);
  assert.equal(res.json?.error, 'invalid_token', res.text);
  assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="portcullis"/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
}

describe('client configuration endpoint (RFC 7592)', () => {
  let server: OAuthServer;
  // The initial access token allows the API scopes these clients register, and no others.
  const registerClient = async (body: Record<string, unknown>, scopes = ['read', 'write']): Promise<Registered> => {
    const { token } = await issueInitialAccessToken(server, { scopes });
    const res = await register(server, token, body);
    assert.equal(res.status, 201, res.text);
    return res.json as unknown as Registered;
  };
  const m2m = () => registerClient({ client_name: 'm2m', grant_types: ['client_credentials'], scope: 'read' });
  const call = (reg: Registered, method: string, body?: unknown, token = reg.registration_access_token) =>
    registrationCall(reg.registration_client_uri, method, { token, ...(body === undefined ? {} : { body }) });
  const tokenFor = (id: string, secret: string, scope?: string) =>
    postForm(
      `${server.issuer}/oauth/token`,
      { grant_type: 'client_credentials', ...(scope ? { scope } : {}) },
      basic(id, secret),
    );

  before(async () => {
    server = await startOAuthServer();
  });
  after(() => server.close());

  it('GET reads the registration: metadata and the token, never the secret', async () => {
    const reg = await m2m();
    const res = await call(reg, 'GET');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const { client_secret, client_secret_expires_at, ...expected } = reg;
    assert.equal(typeof client_secret, 'string');
    assert.equal(client_secret_expires_at, 0);
    assert.deepEqual(res.json, expected);
    assert.ok(!res.text.includes(String(client_secret)));
  });

  it('PUT replaces the metadata and keeps the secret', async () => {
    const reg = await registerClient({
      client_name: 'web app',
      redirect_uris: ['https://app.example/cb'],
      grant_types: ['authorization_code', 'client_credentials'],
      scope: 'read',
    });
    const res = await call(reg, 'PUT', {
      client_id: reg.client_id,
      client_name: 'web app, renamed',
      redirect_uris: ['https://app.example/callback', 'http://127.0.0.1:8080/cb'],
      post_logout_redirect_uris: ['https://app.example/bye'],
      grant_types: ['authorization_code', 'client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'read write',
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.json?.client_secret, undefined, 'no new secret');
    assert.equal(res.json?.registration_access_token, reg.registration_access_token);
    assert.equal(res.json?.client_name, 'web app, renamed');
    assert.deepEqual(res.json?.redirect_uris, ['https://app.example/callback', 'http://127.0.0.1:8080/cb']);
    assert.deepEqual(res.json?.post_logout_redirect_uris, ['https://app.example/bye']);
    assert.equal(res.json?.scope, 'read write');
    assert.deepEqual((await call(reg, 'GET')).json, res.json);

    const view = (await adminCall(server, 'GET', `/clients/${reg.client_id}`)).json as unknown as ClientView;
    assert.equal(view.name, 'web app, renamed');
    assert.deepEqual(view.scopes, ['read', 'write']);
    assert.equal(view.first_party, false);
    const issued = await tokenFor(reg.client_id, reg.client_secret ?? '', 'write');
    assert.equal(issued.status, 200, issued.text);
  });

  it('PUT is a replacement: omitted metadata goes back to its default', async () => {
    const reg = await m2m();
    const res = await call(reg, 'PUT', { client_id: reg.client_id, grant_types: ['client_credentials'] });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json?.scope, undefined);
    assert.equal(res.json?.token_endpoint_auth_method, 'client_secret_basic');
  });

  it('PUT may repeat the current client_secret, never set another', async () => {
    const reg = await m2m();
    const body = { client_id: reg.client_id, grant_types: ['client_credentials'] };
    assert.equal((await call(reg, 'PUT', { ...body, client_secret: reg.client_secret })).status, 200);
    const chosen = await call(reg, 'PUT', { ...body, client_secret: 'my own choice' });
    assert.equal(chosen.status, 400, chosen.text);
    assert.equal(chosen.json?.error, 'invalid_request');
    assert.equal((await tokenFor(reg.client_id, reg.client_secret ?? '')).status, 200);
    assert.equal((await tokenFor(reg.client_id, 'my own choice')).status, 401);
  });

  it('PUT must name the client it updates', async () => {
    const reg = await m2m();
    const other = await m2m();
    for (const client_id of [undefined, other.client_id]) {
      const res = await call(reg, 'PUT', { client_id, grant_types: ['client_credentials'], scope: 'admin' });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json?.error, 'invalid_request');
    }
    assert.equal((await call(reg, 'GET')).json?.scope, 'read');
  });

  it("PUT keeps to the allowlist of the client's initial access token, and changes nothing when refused", async () => {
    const reg = await m2m();
    const base = { client_id: reg.client_id, grant_types: ['client_credentials'] };
    for (const scope of ['admin', 'read admin', 'openid write admin']) {
      const res = await call(reg, 'PUT', { ...base, scope });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json?.error, 'invalid_client_metadata', res.text);
      assert.match(String(res.json?.error_description), /^scope "admin" is not allowed/);
    }
    const { registration_access_token: _token, ...unchanged } = (await call(reg, 'GET')).json ?? {};
    const { registration_access_token: _same, client_secret: _secret, client_secret_expires_at: _expiry, ...original } = reg;
    assert.deepEqual(unchanged, original);
    assert.deepEqual((await adminCall(server, 'GET', `/clients/${reg.client_id}`)).json?.scopes, ['read']);
    const res = await call(reg, 'PUT', { ...base, scope: 'openid write' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json?.scope, 'openid write');
  });

  it('the allowlist outlives its token: revoked or deleted, updates may have its scopes and no others', async () => {
    const { id, token } = await issueInitialAccessToken(server, { max_uses: 2, scopes: ['read', 'write'] });
    const registerWithToken = async () => {
      const res = await register(server, token, { grant_types: ['client_credentials'], scope: 'read' });
      assert.equal(res.status, 201, res.text);
      return res.json as unknown as Registered;
    };
    const revoked = await registerWithToken();
    const deleted = await registerWithToken();
    assert.equal((await adminCall(server, 'DELETE', `/initial-access-tokens/${id}`)).status, 204);
    const base = (reg: Registered) => ({ client_id: reg.client_id, grant_types: ['client_credentials'] });
    assert.equal((await call(revoked, 'PUT', { ...base(revoked), scope: 'read write' })).status, 200);
    assert.equal((await call(revoked, 'PUT', { ...base(revoked), scope: 'admin' })).json?.error, 'invalid_client_metadata');

    const db = server.built.services.database.db.withTables<{ oauth_initial_access_tokens: { id: string } }>();
    await db.deleteFrom('oauth_initial_access_tokens').where('id', '=', id).execute();
    const listed = (await adminCall(server, 'GET', '/initial-access-tokens')).json?.initial_access_tokens as { id: string }[];
    assert.ok(!listed.some((t) => t.id === id), 'the token is gone');
    assert.equal((await call(deleted, 'PUT', { ...base(deleted), scope: 'write' })).status, 200);
    const refused = await call(deleted, 'PUT', { ...base(deleted), scope: 'write admin' });
    assert.equal(refused.status, 400, refused.text);
    assert.equal(refused.json?.error, 'invalid_client_metadata');
    assert.equal((await call(deleted, 'GET')).json?.scope, 'write');
  });

  it('PUT validates like registration and changes nothing when refused', async () => {
    const reg = await registerClient({ redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'none' });
    const base = { client_id: reg.client_id, token_endpoint_auth_method: 'none' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, redirect_uris: ['http://app.example/cb'] }, 'invalid_redirect_uri'],
      [
        { ...base, redirect_uris: ['https://app.example/cb'], grant_types: ['authorization_code', 'implicit'] },
        'invalid_client_metadata',
      ],
      [{ ...base, grant_types: ['password'] }, 'invalid_client_metadata'],
      [{ ...base, redirect_uris: ['https://app.example/cb'], jwks_uri: 'https://app.example/jwks' }, 'invalid_client_metadata'],
      [{ ...base, redirect_uris: 'https://app.example/cb' }, 'invalid_client_metadata'],
    ];
    for (const [body, code] of cases) {
      const res = await call(reg, 'PUT', body);
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json?.error, code, res.text);
    }
    const { registration_access_token: _token, ...unchanged } = (await call(reg, 'GET')).json ?? {};
    const { registration_access_token: _same, ...original } = reg;
    assert.deepEqual(unchanged, original);
  });

  it('PUT from a public to a confidential client issues a secret, once', async () => {
    const reg = await registerClient({ redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'none' });
    assert.equal(reg.client_secret, undefined);
    const res = await call(reg, 'PUT', {
      client_id: reg.client_id,
      redirect_uris: ['https://app.example/cb'],
      grant_types: ['authorization_code', 'client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    assert.equal(res.status, 200, res.text);
    assert.match(String(res.json?.client_secret), /^pcs_/);
    assert.equal(res.json?.client_secret_expires_at, 0);
    assert.equal((await tokenFor(reg.client_id, String(res.json?.client_secret))).status, 200);
    assert.equal((await call(reg, 'GET')).json?.client_secret, undefined);
  });

  it('a private_key_jwt client registers its keys and authenticates with them', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    const { token } = await issueInitialAccessToken(server);
    const config = await client.dynamicClientRegistration(
      new URL(server.issuer),
      { grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } },
      client.PrivateKeyJwt({ key: privateKey, kid: 'k1' }),
      { ...insecure, initialAccessToken: token },
    );
    assert.deepEqual((config.clientMetadata().jwks as { keys: unknown[] }).keys, [jwk]);
    assert.equal(config.clientMetadata().client_secret, undefined);
    assert.equal(typeof (await client.clientCredentialsGrant(config)).access_token, 'string');
  });

  describe('the registration access token', () => {
    it('missing or garbage: 401 invalid_token on GET, PUT and DELETE', async () => {
      const reg = await m2m();
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const body = method === 'PUT' ? { client_id: reg.client_id } : undefined;
        assertInvalidToken(await registrationCall(reg.registration_client_uri, method, body ? { body } : {}));
        assertInvalidToken(await call(reg, method, body, 'garbage'));
        assertInvalidToken(await call(reg, method, body, `pcr_${'A'.repeat(43)}`));
      }
      assert.equal((await call(reg, 'GET')).status, 200, 'the client is untouched');
    });

    it("another client's token: 401, and that client is untouched", async () => {
      const alice = await m2m();
      const mallory = await m2m();
      const stolen = mallory.registration_access_token;
      assertInvalidToken(await call(alice, 'GET', undefined, stolen));
      assertInvalidToken(await call(alice, 'PUT', { client_id: alice.client_id, grant_types: ['client_credentials'] }, stolen));
      assertInvalidToken(await call(alice, 'DELETE', undefined, stolen));
      assert.equal((await call(alice, 'GET')).status, 200);
      assert.equal((await call(mallory, 'GET')).status, 200);
    });

    it('neither the initial access token nor the client secret works in its place', async () => {
      const { token } = await issueInitialAccessToken(server);
      const res = await register(server, token, { grant_types: ['client_credentials'] });
      const reg = res.json as unknown as Registered;
      assertInvalidToken(await call(reg, 'GET', undefined, token));
      assertInvalidToken(await call(reg, 'GET', undefined, reg.client_secret));
    });

    it('an administrator-registered client has no configuration endpoint', async () => {
      const reg = await m2m();
      const admin = await server.createClient({ name: 'admin-made', type: 'confidential', grant_types: ['client_credentials'] });
      assertInvalidToken(
        await registrationCall(`${server.issuer}/oauth/register/${admin.client_id}`, 'GET', {
          token: reg.registration_access_token,
        }),
      );
    });
  });

  it('DELETE removes the client: 204, then its token and secret are dead', async () => {
    const reg = await m2m();
    assert.equal((await tokenFor(reg.client_id, reg.client_secret ?? '')).status, 200);
    const res = await call(reg, 'DELETE');
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, '');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assertInvalidToken(await call(reg, 'GET'));
    assertInvalidToken(await call(reg, 'DELETE'));
    assert.equal((await tokenFor(reg.client_id, reg.client_secret ?? '')).status, 401);
    assert.equal((await adminCall(server, 'GET', `/clients/${reg.client_id}`)).status, 404);
  });

  it('a client an administrator deletes loses its registration access token too', async () => {
    const reg = await m2m();
    assert.equal((await adminCall(server, 'DELETE', `/clients/${reg.client_id}`)).status, 204);
    assertInvalidToken(await call(reg, 'GET'));
  });
});

// RFC 7591 dynamic client registration behind admin-issued initial access tokens, driven by
// openid-client (a certified relying party) and, for what no real client would send, raw fetch.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClientView } from '@portcullis/protocol';
import * as client from 'openid-client';
import { basic, type OAuthServer, postForm, startOAuthServer } from '../start-oauth-server.ts';
import { type Answer, adminCall, issueInitialAccessToken, register } from './registration-fixtures.ts';

const insecure = { execute: [client.allowInsecureRequests] };
const LOOPBACK = 'http://127.0.0.1:53682/callback';

function assertRefused(res: Answer, status: number, code: string, description?: RegExp): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.json?.error, code, res.text);
  assert.equal(typeof res.json?.error_description, 'string');
  if (description) assert.match(String(res.json?.error_description), description);
  assert.equal(res.json?.client_id, undefined);
  assert.equal(res.headers.get('cache-control'), 'no-store');
}

describe('dynamic client registration (RFC 7591)', () => {
  let server: OAuthServer;
  let endpoint: string;
  const adminView = async (id: string) => (await adminCall(server, 'GET', `/clients/${id}`)).json as unknown as ClientView;
  const clientCount = async () => ((await adminCall(server, 'GET', '/clients')).json as { clients: ClientView[] }).clients.length;

  before(async () => {
    server = await startOAuthServer();
    endpoint = `${server.issuer}/oauth/register`;
  });
  after(() => server.close());

  it('discovery names the registration endpoint', async () => {
    const doc = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    assert.equal(doc.registration_endpoint, endpoint);
    const config = await client.discovery(new URL(server.issuer), 'unused', undefined, client.None(), insecure);
    assert.equal(config.serverMetadata().registration_endpoint, endpoint);
  });

  it('openid-client registers a public authorization_code client with a loopback redirect', async () => {
    const { token } = await issueInitialAccessToken(server, { scopes: ['offline_access'] });
    const config = await client.dynamicClientRegistration(
      new URL(server.issuer),
      {
        client_name: 'Command-line tool',
        redirect_uris: [LOOPBACK],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        scope: 'openid offline_access',
      },
      client.None(),
      { ...insecure, initialAccessToken: token },
    );
    const meta = config.clientMetadata();
    assert.match(meta.client_id, /^pc_/);
    assert.equal(meta.client_secret, undefined, 'a public client gets no secret');
    assert.equal(meta.token_endpoint_auth_method, 'none');
    assert.deepEqual(meta.redirect_uris, [LOOPBACK]);
    assert.deepEqual(meta.grant_types, ['authorization_code', 'refresh_token']);
    assert.deepEqual(meta.response_types, ['code']);
    assert.equal(meta.client_name, 'Command-line tool');
    assert.equal(meta.scope, 'openid offline_access');
    assert.match(String(meta.registration_access_token), /^pcr_[A-Za-z0-9_-]{43}$/);
    assert.equal(meta.registration_client_uri, `${endpoint}/${meta.client_id}`);
    assert.ok(Math.abs(Number(meta.client_id_issued_at) - Date.now() / 1000) < 60);

    const view = await adminView(meta.client_id);
    assert.equal(view.type, 'public');
    assert.equal(view.first_party, false);
    assert.equal(view.require_pkce, true);

    // The authorization endpoint accepts it: a PKCE request goes on to the login page.
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: LOOPBACK,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const res = await fetch(url, { redirect: 'manual' });
    assert.ok(res.status === 302 || res.status === 303, `status ${res.status}`);
    assert.match(res.headers.get('location') ?? '', /\/oauth\/interaction\//);
  });

  it('openid-client registers a confidential client_credentials client that then gets a token', async () => {
    const { token } = await issueInitialAccessToken(server, { scopes: ['read', 'write'] });
    const config = await client.dynamicClientRegistration(
      new URL(server.issuer),
      {
        client_name: 'Billing job',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_post',
        scope: 'read write',
      },
      undefined,
      { ...insecure, initialAccessToken: token },
    );
    const meta = config.clientMetadata();
    assert.match(String(meta.client_secret), /^pcs_[A-Za-z0-9_-]{43}$/);
    assert.equal(meta.client_secret_expires_at, 0);
    assert.deepEqual(meta.response_types, []);
    assert.equal((await adminView(meta.client_id)).type, 'confidential');

    const tokens = await client.clientCredentialsGrant(config, { scope: 'read' });
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.scope, 'read');
  });

  it('defaults: client_secret_basic, authorization_code, response type code', async () => {
    const { token } = await issueInitialAccessToken(server);
    const res = await register(server, token, { redirect_uris: ['https://app.example/cb'] });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.json?.token_endpoint_auth_method, 'client_secret_basic');
    assert.deepEqual(res.json?.grant_types, ['authorization_code']);
    assert.deepEqual(res.json?.response_types, ['code']);
    assert.equal(typeof res.json?.client_secret, 'string');
    assert.equal(res.json?.client_secret_expires_at, 0);
    assert.equal(typeof res.json?.client_name, 'string');
  });

  it('a confidential client registered with the default method authenticates with HTTP Basic', async () => {
    const { token } = await issueInitialAccessToken(server);
    const res = await register(server, token, { grant_types: ['client_credentials'], response_types: [] });
    assert.equal(res.status, 201, res.text);
    const id = String(res.json?.client_id);
    const secret = String(res.json?.client_secret);
    const ok = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, basic(id, secret));
    assert.equal(ok.status, 200, ok.text);
  });

  it('unknown metadata is ignored, and cannot make the client first-party or skip PKCE', async () => {
    const { token } = await issueInitialAccessToken(server);
    const res = await register(server, token, {
      redirect_uris: ['https://app.example/cb'],
      token_endpoint_auth_method: 'none',
      logo_uri: 'https://app.example/logo.png',
      first_party: true,
      require_pkce: false,
      access_token_lifetime: 31_536_000,
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json?.logo_uri, undefined);
    const view = await adminView(String(res.json?.client_id));
    assert.equal(view.first_party, false);
    assert.equal(view.require_pkce, true);
    assert.equal(view.access_token_lifetime, 900);
  });

  describe("the initial access token's scopes (RFC 7591 §2: the server decides)", () => {
    it('a scope outside the allowlist: 400 invalid_client_metadata naming it; nothing registered, no use spent', async () => {
      const { id, token } = await issueInitialAccessToken(server, { scopes: ['read'] });
      const before = await clientCount();
      for (const scope of ['admin', 'read admin', 'openid read write']) {
        const res = await register(server, token, { grant_types: ['client_credentials'], scope });
        assertRefused(res, 400, 'invalid_client_metadata', /^scope "(admin|write)" is not allowed/);
      }
      const both = await register(server, token, { grant_types: ['client_credentials'], scope: 'read write admin' });
      assertRefused(both, 400, 'invalid_client_metadata', /^scopes "write", "admin" are not allowed/);
      assert.equal(await clientCount(), before, 'no client was registered');
      const listed = (await adminCall(server, 'GET', '/initial-access-tokens')).json as {
        initial_access_tokens: { id: string; uses: number }[];
      };
      assert.equal(listed.initial_access_tokens.find((t) => t.id === id)?.uses, 0);
    });

    it('within the allowlist, with OpenID Connect scopes that need no listing: registered, and a token has them', async () => {
      const { token } = await issueInitialAccessToken(server, { scopes: ['read', 'write'] });
      const res = await register(server, token, {
        redirect_uris: ['https://app.example/cb'],
        grant_types: ['authorization_code', 'client_credentials'],
        scope: 'openid profile email read',
      });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.json?.scope, 'openid profile email read');
      assert.deepEqual((await adminView(String(res.json?.client_id))).scopes, ['openid', 'profile', 'email', 'read']);
      const id = String(res.json?.client_id);
      const secret = String(res.json?.client_secret);
      const read = await postForm(
        `${server.issuer}/oauth/token`,
        { grant_type: 'client_credentials', scope: 'read' },
        basic(id, secret),
      );
      assert.equal(read.status, 200, read.text);
      const write = await postForm(
        `${server.issuer}/oauth/token`,
        { grant_type: 'client_credentials', scope: 'write' },
        basic(id, secret),
      );
      assert.equal(write.status, 400, 'allowed by the token, but not registered by the client');
      assert.equal(write.json?.error, 'invalid_scope', write.text);
    });

    it('an empty allowlist: an openid authorization_code client, or a client_credentials client without API scopes', async () => {
      const { token, scopes } = await issueInitialAccessToken(server, { max_uses: 3 });
      assert.deepEqual(scopes, []);
      const web = await register(server, token, { redirect_uris: ['https://app.example/cb'], scope: 'openid' });
      assert.equal(web.status, 201, web.text);
      assert.equal(web.json?.scope, 'openid');
      assertRefused(
        await register(server, token, { grant_types: ['client_credentials'], scope: 'read' }),
        400,
        'invalid_client_metadata',
        /"read"/,
      );
      const m2m = await register(server, token, { grant_types: ['client_credentials'] });
      assert.equal(m2m.status, 201, m2m.text);
      const auth = basic(String(m2m.json?.client_id), String(m2m.json?.client_secret));
      const issued = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, auth);
      assert.equal(issued.status, 200, issued.text);
      assert.equal(issued.json?.scope, undefined, 'a token without API scopes');
      const read = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials', scope: 'read' }, auth);
      assert.equal(read.status, 400, read.text);
    });
  });

  describe('the initial access token', () => {
    it('missing: 401 invalid_token with a Bearer challenge, also through openid-client', async () => {
      const before = await clientCount();
      const res = await register(server, undefined, { grant_types: ['client_credentials'] });
      assertRefused(res, 401, 'invalid_token');
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="portcullis"');
      await assert.rejects(
        client.dynamicClientRegistration(new URL(server.issuer), { grant_types: ['client_credentials'] }, undefined, insecure),
      );
      assert.equal(await clientCount(), before);
    });

    it('garbage, or a token of another kind: 401 invalid_token', async () => {
      for (const token of ['garbage', `pci_${'A'.repeat(43)}`, server.adminKey]) {
        const res = await register(server, token, { grant_types: ['client_credentials'] });
        assertRefused(res, 401, 'invalid_token');
        assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="portcullis", error="invalid_token"/);
      }
      const malformed = await register(server, undefined, {});
      assertRefused(malformed, 401, 'invalid_token');
    });

    it('is checked before the body, so an unauthenticated caller learns nothing about its metadata', async () => {
      assertRefused(await register(server, 'garbage', { grant_types: ['password'] }), 401, 'invalid_token');
      assertRefused(await register(server, 'garbage', '[1,2]'), 401, 'invalid_token');
    });

    it('used up: max_uses registrations, then 401; refused registrations do not count', async () => {
      const { token } = await issueInitialAccessToken(server, { max_uses: 2 });
      assert.equal((await register(server, token, { grant_types: ['password'] })).status, 400);
      assert.equal((await register(server, token, { grant_types: ['client_credentials'] })).status, 201);
      assert.equal((await register(server, token, { grant_types: ['client_credentials'] })).status, 201);
      assertRefused(await register(server, token, { grant_types: ['client_credentials'] }), 401, 'invalid_token');
      const listed = (await adminCall(server, 'GET', '/initial-access-tokens')).json as {
        initial_access_tokens: { uses: number; max_uses: number }[];
      };
      assert.ok(listed.initial_access_tokens.some((t) => t.uses === 2 && t.max_uses === 2));
    });

    it('concurrent registrations cannot exceed max_uses', async () => {
      const { token } = await issueInitialAccessToken(server, { max_uses: 3 });
      const results = await Promise.all(
        Array.from({ length: 8 }, () => register(server, token, { grant_types: ['client_credentials'] })),
      );
      assert.equal(results.filter((r) => r.status === 201).length, 3);
      assert.ok(results.every((r) => r.status === 201 || r.status === 401));
    });

    it('expired: 401 once expires_in has passed', async (t) => {
      t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
      const { token, expires_at } = await issueInitialAccessToken(server, { expires_in: 120 });
      assert.equal(Date.parse(expires_at), Date.now() + 120_000);
      t.mock.timers.tick(119_000);
      assert.equal((await register(server, token, { grant_types: ['client_credentials'] })).status, 201);
      t.mock.timers.tick(1_000);
      assertRefused(await register(server, token, { grant_types: ['client_credentials'] }), 401, 'invalid_token');
    });
  });

  describe('metadata errors (RFC 7591 §3.2.2)', () => {
    let token: string;
    before(async () => {
      token = (await issueInitialAccessToken(server, { max_uses: 1, scopes: ['read', 'write'] })).token;
    });
    const refused = async (body: unknown, status: number, code: string, description?: RegExp) => {
      const before = await clientCount();
      assertRefused(await register(server, token, body), status, code, description);
      assert.equal(await clientCount(), before, 'no client was registered');
    };

    it('a redirect URI that may not be registered: invalid_redirect_uri', async () => {
      await refused({ redirect_uris: ['http://app.example/cb'] }, 400, 'invalid_redirect_uri', /loopback/);
      await refused({ redirect_uris: ['https://app.example/cb#frag'] }, 400, 'invalid_redirect_uri');
      await refused({ redirect_uris: ['https://*.example/cb'] }, 400, 'invalid_redirect_uri');
      await refused({ grant_types: ['authorization_code'] }, 400, 'invalid_redirect_uri');
    });

    it('the password grant: invalid_client_metadata (first-party only)', async () => {
      await refused(
        { grant_types: ['password'], token_endpoint_auth_method: 'client_secret_basic' },
        400,
        'invalid_client_metadata',
        /first-party/,
      );
    });

    it('implicit, as a grant or as response types: invalid_client_metadata', async () => {
      const redirect = { redirect_uris: ['https://app.example/cb'] };
      await refused({ ...redirect, grant_types: ['implicit'] }, 400, 'invalid_client_metadata', /implicit/);
      await refused({ ...redirect, grant_types: ['authorization_code', 'implicit'] }, 400, 'invalid_client_metadata');
      await refused({ ...redirect, response_types: ['token'] }, 400, 'invalid_client_metadata');
      await refused({ ...redirect, response_types: ['code id_token'] }, 400, 'invalid_client_metadata');
    });

    it('response_types inconsistent with grant_types: invalid_client_metadata', async () => {
      await refused(
        { grant_types: ['client_credentials'], response_types: ['code'] },
        400,
        'invalid_client_metadata',
        /go together/,
      );
      await refused(
        { redirect_uris: ['https://app.example/cb'], grant_types: ['authorization_code'], response_types: [] },
        400,
        'invalid_client_metadata',
      );
    });

    it('what this server cannot honour is refused, not dropped', async () => {
      await refused(
        { grant_types: ['client_credentials'], jwks_uri: 'https://app.example/jwks' },
        400,
        'invalid_client_metadata',
        /not supported/,
      );
      await refused(
        { grant_types: ['client_credentials'], software_statement: 'eyJ.x.y' },
        400,
        'invalid_client_metadata',
        /not supported/,
      );
      await refused({ grant_types: ['urn:ietf:params:oauth:grant-type:device_code'] }, 400, 'invalid_client_metadata');
      await refused(
        { grant_types: ['client_credentials'], token_endpoint_auth_method: 'tls_client_auth' },
        400,
        'invalid_client_metadata',
      );
      await refused({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' }, 400, 'invalid_client_metadata');
      await refused({ grant_types: ['refresh_token'] }, 400, 'invalid_client_metadata');
      await refused({ grant_types: ['client_credentials'], scope: 'read  write' }, 400, 'invalid_client_metadata');
      await refused({ grant_types: ['client_credentials'], scope: 'read "write"' }, 400, 'invalid_client_metadata');
    });

    it('private_key_jwt needs public keys in jwks', async () => {
      const auth = { grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt' };
      await refused(auth, 400, 'invalid_client_metadata', /jwks/);
      await refused({ ...auth, jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, 400, 'invalid_client_metadata', /public/);
    });

    it('wrong JSON types: invalid_client_metadata; not a JSON object: invalid_request', async () => {
      await refused({ redirect_uris: 'https://app.example/cb' }, 400, 'invalid_client_metadata');
      await refused({ grant_types: ['client_credentials'], client_name: 42 }, 400, 'invalid_client_metadata');
      await refused('[]', 400, 'invalid_request');
      await refused('"client_credentials"', 400, 'invalid_request');
      const form = await fetch(endpoint, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_types=client_credentials',
      });
      assert.equal(form.status, 400);
      assert.equal(((await form.json()) as { error?: string }).error, 'invalid_request');
    });

    it('none of the refusals used the single-use token up', async () => {
      assert.equal((await register(server, token, { grant_types: ['client_credentials'] })).status, 201);
    });
  });

  it('no token, secret or registration access token reaches the log', async () => {
    const { token } = await issueInitialAccessToken(server);
    const res = await register(server, token, { grant_types: ['client_credentials'] });
    assert.equal(res.status, 201);
    const logs = server.logs.join('\n');
    for (const secret of [token, String(res.json?.client_secret), String(res.json?.registration_access_token)]) {
      assert.ok(!logs.includes(secret), 'a secret was logged');
    }
  });
});

// OAuth clients in the admin API: secrets shown once, registration rules, rotation, deletion, audit, roles.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AdminRole, AuditEntry, ClientView } from '@portcullis/protocol';
import { exportJWK, generateKeyPair } from 'jose';
import { basic, type OAuthServer, postForm, startOAuthServer } from './start-oauth-server.ts';

type Created = ClientView & { client_secret?: string };
interface AdminAnswer {
  status: number;
  json: Record<string, unknown> | null;
  text: string;
}

describe('admin API: OAuth clients', () => {
  let server: OAuthServer;
  let token: string;
  /** A confidential client that introspects other clients' tokens. */
  let rs: Created;

  const call = async (method: string, path: string, body?: unknown, key = server.adminKey): Promise<AdminAnswer> => {
    const res = await fetch(`${server.issuer}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : null, text };
  };
  const create = async (body: Record<string, unknown>): Promise<Created> => {
    const res = await call('POST', '/clients', { name: 'app', ...body });
    assert.equal(res.status, 201, res.text);
    return res.json as unknown as Created;
  };
  const clientIds = async () =>
    ((await call('GET', '/clients')).json as { clients: ClientView[] }).clients.map((c) => c.client_id).sort();
  /** Registration must be refused with `status` and `code`, and no client may appear. */
  const assertRefused = async (body: Record<string, unknown>, status: number, code: string, key?: string) => {
    const before = await clientIds();
    const res = await call('POST', '/clients', { name: 'refused', ...body }, key);
    assert.equal(res.status, status, res.text);
    assert.equal(res.json?.error, code, res.text);
    assert.equal(res.json?.client_id, undefined);
    assert.equal(res.json?.client_secret, undefined);
    assert.deepEqual(await clientIds(), before, 'no client was registered');
  };
  const clientCredentials = (id: string, secret: string) =>
    postForm(token, { grant_type: 'client_credentials' }, basic(id, secret));
  const roleKey = async (role: AdminRole) => {
    const res = await call('POST', '/admin-keys', { role });
    assert.equal(res.status, 201, res.text);
    return String(res.json?.key);
  };
  const audit = async () => ((await call('GET', '/audit?limit=1000')).json as { entries: AuditEntry[] }).entries;

  const confidential = { type: 'confidential', grant_types: ['client_credentials'] };

  before(async () => {
    server = await startOAuthServer();
    token = `${server.issuer}/oauth/token`;
    rs = await create(confidential);
  });
  after(() => server.close());

  it('creating a confidential client is 201 with a client_secret of at least 256 bits', async () => {
    const client = await create({ ...confidential, scopes: ['read'] });
    assert.match(client.client_secret ?? '', /^pcs_[A-Za-z0-9_-]{43,}$/);
    assert.equal(client.token_endpoint_auth_method, 'client_secret_basic');
    assert.equal(client.type, 'confidential');
    assert.equal((await clientCredentials(client.client_id, client.client_secret ?? '')).status, 200);
  });

  it('GET list and GET show never contain the client secret or its hash', async () => {
    const client = await create(confidential);
    const secret = client.client_secret ?? '';
    const row = await server.built.services.database.db
      .selectFrom('oauth_clients')
      .select('secret_hash')
      .where('client_id', '=', client.client_id)
      .executeTakeFirstOrThrow();
    assert.ok(row.secret_hash);
    const list = await call('GET', '/clients');
    const show = await call('GET', `/clients/${client.client_id}`);
    assert.equal(list.status, 200);
    assert.equal(show.status, 200);
    const views = [...(list.json as { clients: ClientView[] }).clients, show.json as unknown as ClientView];
    for (const view of views)
      assert.deepEqual(
        Object.keys(view).filter((k) => /secret|hash/i.test(k)),
        [],
      );
    for (const text of [list.text, show.text]) {
      assert.ok(!text.includes(secret), 'the secret is served');
      assert.ok(!text.includes(row.secret_hash), 'the secret hash is served');
      assert.doesNotMatch(text, /pcs_/);
    }
  });

  it('a public client gets token_endpoint_auth_method "none" and no secret', async () => {
    const client = await create({ type: 'public', first_party: true, grant_types: ['password'] });
    assert.equal(client.token_endpoint_auth_method, 'none');
    assert.ok(!('client_secret' in client), 'a public client has no secret');
  });

  // RFC 6749 §3.1.2, RFC 9700 §2.1 / §4.1.1, RFC 8252 §7.3: exact, safe redirect URIs only.
  const badRedirects: [string, string, string][] = [
    ['http on a non-loopback host', 'http://app.example.com/cb', 'confidential'],
    ['a fragment', 'https://app.example.com/cb#frag', 'confidential'],
    ['a wildcard', 'https://*.example.com/cb', 'confidential'],
    ['javascript:', 'javascript:alert(document.cookie)', 'public'],
  ];
  for (const [what, uri, type] of badRedirects) {
    it(`a redirect URI with ${what} is 400 invalid_redirect_uri`, async () => {
      await assertRefused({ type, grant_types: ['authorization_code'], redirect_uris: [uri] }, 400, 'invalid_redirect_uri');
    });
  }

  // RFC 6749 §4.4: client_credentials is for confidential clients only.
  it('a public client with client_credentials is 400 invalid_client_metadata', async () => {
    await assertRefused({ type: 'public', grant_types: ['client_credentials'] }, 400, 'invalid_client_metadata');
  });

  it('private_key_jwt without a jwks is 400 invalid_client_metadata', async () => {
    await assertRefused({ ...confidential, token_endpoint_auth_method: 'private_key_jwt' }, 400, 'invalid_client_metadata');
  });

  it('a jwks holding a private key (d) is 400 invalid_client_metadata', async () => {
    const jwk = {
      kty: 'EC',
      crv: 'P-256',
      x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
      y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
      d: 'jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI',
    };
    const body = { ...confidential, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } };
    await assertRefused(body, 400, 'invalid_client_metadata');
  });

  // RFC 7518 §6.3.2: p, q, dp, dq and qi are RSA private key members too (p and q alone give d).
  it('a jwks holding RSA private factors (p, q, dp, dq, qi) without d is 400 invalid_client_metadata', async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const { d: _d, ...factors } = await exportJWK(privateKey);
    assert.ok(factors.p && factors.q, 'the JWK still carries the prime factors');
    const body = { ...confidential, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [factors] } };
    await assertRefused(body, 400, 'invalid_client_metadata');
  });

  it('an unknown field is 400 invalid_request', async () => {
    await assertRefused({ ...confidential, client_secret: 'pcs_chosen-by-the-caller' }, 400, 'invalid_request');
    await assertRefused({ ...confidential, is_admin: true }, 400, 'invalid_request');
  });

  it('rotate-secret: the old secret is 401 invalid_client, the new one 200', async () => {
    const client = await create(confidential);
    const res = await call('POST', `/clients/${client.client_id}/rotate-secret`, {});
    assert.equal(res.status, 200, res.text);
    const fresh = String(res.json?.client_secret);
    assert.match(fresh, /^pcs_[A-Za-z0-9_-]{43,}$/);
    assert.notEqual(fresh, client.client_secret);
    const old = await clientCredentials(client.client_id, client.client_secret ?? '');
    assert.equal(old.status, 401, old.text);
    assert.equal(old.json?.error, 'invalid_client');
    assert.equal(old.json?.access_token, undefined);
    assert.equal((await clientCredentials(client.client_id, fresh)).status, 200);
  });

  it('delete: 204, then its access tokens introspect inactive and its secret is 401', async () => {
    const client = await create(confidential);
    const issued = await clientCredentials(client.client_id, client.client_secret ?? '');
    assert.equal(issued.status, 200, issued.text);
    const accessToken = String(issued.json?.access_token);
    const introspect = async () =>
      (await postForm(`${server.issuer}/oauth/introspect`, { token: accessToken }, basic(rs.client_id, rs.client_secret ?? '')))
        .json;
    assert.equal((await introspect())?.active, true, 'control: active before the delete');

    const res = await call('DELETE', `/clients/${client.client_id}`);
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, '');
    assert.deepEqual(await introspect(), { active: false });
    const after = await clientCredentials(client.client_id, client.client_secret ?? '');
    assert.equal(after.status, 401, after.text);
    assert.equal(after.json?.error, 'invalid_client');
    assert.equal((await call('GET', `/clients/${client.client_id}`)).status, 404);
  });

  it('every client mutation is in GET /admin/v1/audit (clients.create, clients.rotate_secret, clients.delete)', async () => {
    const client = await create(confidential);
    assert.equal((await call('POST', `/clients/${client.client_id}/rotate-secret`, {})).status, 200);
    assert.equal((await call('DELETE', `/clients/${client.client_id}`)).status, 204);
    const mine = (await audit()).filter((e) => e.target === client.client_id);
    const actions = mine.map((e) => `${e.action} ${e.outcome} ${e.status}`).sort();
    assert.deepEqual(actions, ['clients.create success 201', 'clients.delete success 204', 'clients.rotate_secret success 200']);
    for (const entry of mine) assert.equal(entry.actor, 'bootstrap');
    assert.doesNotMatch(JSON.stringify(await audit()), /pcs_/, 'no secret in the audit log');
  });

  it('the auditor role cannot create a client (403 forbidden)', async () => {
    const auditor = await roleKey('auditor');
    await assertRefused(confidential, 403, 'forbidden', auditor);
    assert.ok((await audit()).some((e) => e.action === 'clients.create' && e.outcome === 'failure' && e.status === 403));
  });

  it('the developer role cannot rotate a secret (403 forbidden: it is sensitive) and the secret keeps working', async () => {
    const developer = await roleKey('developer');
    const client = await create(confidential);
    const res = await call('POST', `/clients/${client.client_id}/rotate-secret`, {}, developer);
    assert.equal(res.status, 403, res.text);
    assert.equal(res.json?.error, 'forbidden');
    assert.equal(res.json?.client_secret, undefined);
    assert.equal((await clientCredentials(client.client_id, client.client_secret ?? '')).status, 200);
    const entry = (await audit()).find((e) => e.target === client.client_id && e.action === 'clients.rotate_secret');
    assert.equal(entry?.outcome, 'failure');
    assert.equal(entry?.status, 403);
  });

  describe('PATCH /clients/:id', () => {
    const patch = (id: string, body: unknown, key?: string) => call('PATCH', `/clients/${id}`, body, key);
    const show = async (id: string) => (await call('GET', `/clients/${id}`)).json as unknown as ClientView;
    const tokenFor = (client: Created, secret: string, scope: string) =>
      postForm(token, { grant_type: 'client_credentials', scope }, basic(client.client_id, secret));

    it('changes the named settings only, at once: a narrowed scope list is refused at the token endpoint', async () => {
      const client = await create({
        ...confidential,
        name: 'reports',
        scopes: ['read', 'write'],
        web_origins: ['https://a.example'],
      });
      const secret = client.client_secret ?? '';
      assert.equal((await tokenFor(client, secret, 'write')).status, 200);
      const res = await patch(client.client_id, { scopes: ['read'], name: 'reports v2' });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json?.client_secret, undefined, 'the secret is kept, not shown');
      const after = await show(client.client_id);
      const { updated_at: _a, ...rest } = after;
      const { updated_at: _b, client_secret: _c, ...before } = client;
      assert.deepEqual(rest, { ...before, name: 'reports v2', scopes: ['read'] });
      const refused = await tokenFor(client, secret, 'write');
      assert.equal(refused.status, 400, refused.text);
      assert.equal(refused.json?.error, 'invalid_scope');
      assert.equal((await tokenFor(client, secret, 'read')).status, 200, 'the same secret still works');
      const entry = (await audit()).find((e) => e.target === client.client_id && e.action === 'clients.update');
      assert.equal(entry?.outcome, 'success');
    });

    it('a client that newly authenticates with a secret gets one, once; leaving secrets behind voids the old one', async () => {
      const { publicKey } = await generateKeyPair('ES256');
      const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1' }] };
      const client = await create({ ...confidential, token_endpoint_auth_method: 'private_key_jwt', jwks });
      const toSecret = await patch(client.client_id, { token_endpoint_auth_method: 'client_secret_basic' });
      assert.equal(toSecret.status, 200, toSecret.text);
      const secret = String(toSecret.json?.client_secret);
      assert.match(secret, /^pcs_[A-Za-z0-9_-]{43,}$/);
      assert.equal((await clientCredentials(client.client_id, secret)).status, 200);
      assert.equal((await patch(client.client_id, { token_endpoint_auth_method: 'private_key_jwt', jwks })).status, 200);
      assert.equal((await clientCredentials(client.client_id, secret)).status, 401, 'the secret went with the method');
    });

    it('refuses a type change, an empty or unknown change, bad metadata and an unknown client, changing nothing', async () => {
      const client = await create({ ...confidential, scopes: ['read'] });
      const cases: [unknown, number, string][] = [
        [{ type: 'public' }, 400, 'invalid_request'],
        [{}, 400, 'invalid_request'],
        [{ is_admin: true }, 400, 'invalid_request'],
        [{ grant_types: ['authorization_code'], redirect_uris: ['http://evil.example/cb'] }, 400, 'invalid_redirect_uri'],
        [{ web_origins: ['https://a.example/path'] }, 400, 'invalid_client_metadata'],
        [{ token_endpoint_auth_method: 'private_key_jwt' }, 400, 'invalid_client_metadata'],
      ];
      for (const [body, status, code] of cases) {
        const res = await patch(client.client_id, body);
        assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.text}`);
        assert.equal(res.json?.error, code, JSON.stringify(body));
      }
      const { client_secret: _s, ...created } = client;
      assert.deepEqual(await show(client.client_id), created, 'nothing changed');
      assert.equal((await patch('no-such-client', { name: 'x' })).status, 404);
    });

    it('a developer key may change settings, but not make a client first-party, add the password grant or turn protections off', async () => {
      const developer = await roleKey('developer');
      const client = await create({ ...confidential, require_attestation: true, attestation_app_ids: ['com.example.app'] });
      assert.equal((await patch(client.client_id, { name: 'renamed' }, developer)).status, 200);
      for (const body of [
        { first_party: true },
        { require_attestation: false },
        { require_pkce: false },
        { grant_types: ['client_credentials', 'password'], first_party: true },
      ]) {
        const res = await patch(client.client_id, body, developer);
        assert.equal(res.status, 403, `${JSON.stringify(body)}: ${res.text}`);
        assert.equal(res.json?.error, 'forbidden');
      }
      assert.equal((await show(client.client_id)).require_attestation, true);
      assert.equal((await patch(client.client_id, { first_party: true }, server.adminKey)).status, 200, 'an admin key may');
      assert.equal(
        (await patch(client.client_id, { name: 'renamed again' }, developer)).status,
        200,
        'keeping first_party is no grant',
      );
    });
  });
});

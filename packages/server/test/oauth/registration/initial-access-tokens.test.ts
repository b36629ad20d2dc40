// Initial access tokens in the admin API: issued by admins only, shown once, never listed,
// revocable, with the API scopes the clients they register may have, and every change audited.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AdminRole, AuditEntry } from '@portcullis/protocol';
import type { InitialAccessTokenView } from '../../../src/oauth/registration/initial-access-tokens.ts';
import { type OAuthServer, startOAuthServer } from '../start-oauth-server.ts';
import { adminCall, issueInitialAccessToken, register } from './registration-fixtures.ts';

describe('admin API: initial access tokens', () => {
  let server: OAuthServer;
  const roleKey = async (role: AdminRole) => {
    const res = await adminCall(server, 'POST', '/admin-keys', { role });
    assert.equal(res.status, 201, res.text);
    return String(res.json?.key);
  };
  const list = async (key?: string) => {
    const res = await adminCall(server, 'GET', '/initial-access-tokens', undefined, key);
    assert.equal(res.status, 200, res.text);
    return { text: res.text, tokens: (res.json as { initial_access_tokens: InitialAccessTokenView[] }).initial_access_tokens };
  };
  const audit = async () => ((await adminCall(server, 'GET', '/audit?limit=1000')).json as { entries: AuditEntry[] }).entries;

  before(async () => {
    server = await startOAuthServer();
  });
  after(() => server.close());

  it('POST issues a 256-bit token, shown in this answer only: 1 use, for a day, no API scopes, by default', async () => {
    const before = Date.now();
    const res = await adminCall(server, 'POST', '/initial-access-tokens', {});
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(Object.keys(res.json ?? {}).sort(), ['expires_at', 'id', 'max_uses', 'scopes', 'token']);
    assert.match(String(res.json?.token), /^pci_[A-Za-z0-9_-]{43}$/);
    assert.equal(res.json?.max_uses, 1);
    assert.deepEqual(res.json?.scopes, []);
    const expires = Date.parse(String(res.json?.expires_at));
    assert.ok(expires >= before + 86_400_000 - 1000 && expires <= Date.now() + 86_400_000 + 1000);
    const bodiless = await fetch(`${server.issuer}/admin/v1/initial-access-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminKey}` },
    });
    assert.equal(bodiless.status, 201, 'the body is optional');
    const listed = (await list()).tokens;
    assert.deepEqual(listed.find((t) => t.id === res.json?.id)?.scopes, [], 'listed without API scopes');
    const bodilessId = ((await bodiless.json()) as { id: string }).id;
    assert.deepEqual(listed.find((t) => t.id === bodilessId)?.scopes, []);
  });

  it('POST takes scopes, the API scopes its clients may register: RFC 6749 §3.3 scope tokens, listed by GET', async () => {
    const res = await adminCall(server, 'POST', '/initial-access-tokens', { scopes: ['read', 'write', 'read', 'files:write'] });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.json?.scopes, ['read', 'write', 'files:write'], 'without duplicates');
    const listed = (await list()).tokens.find((t) => t.id === res.json?.id);
    assert.deepEqual(listed?.scopes, ['read', 'write', 'files:write']);
    for (const scopes of [
      ['read write'],
      [''],
      ['"read"'],
      ['read\\'],
      ['résumé'],
      [42],
      'read',
      Array.from({ length: 101 }, (_, i) => `s${i}`),
    ]) {
      const refused = await adminCall(server, 'POST', '/initial-access-tokens', { scopes });
      assert.equal(refused.status, 400, `${JSON.stringify(scopes)}: ${refused.text}`);
      assert.equal(refused.json?.error, 'invalid_request');
    }
  });

  it('POST takes expires_in (at most 30 days) and max_uses', async () => {
    const res = await adminCall(server, 'POST', '/initial-access-tokens', { expires_in: 30 * 86_400, max_uses: 5 });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json?.max_uses, 5);
    for (const body of [
      { expires_in: 30 * 86_400 + 1 },
      { expires_in: 0 },
      { expires_in: 1.5 },
      { max_uses: 0 },
      { max_uses: '2' },
      { scope: 'admin' },
    ]) {
      const refused = await adminCall(server, 'POST', '/initial-access-tokens', body);
      assert.equal(refused.status, 400, `${JSON.stringify(body)}: ${refused.text}`);
      assert.equal(refused.json?.error, 'invalid_request');
    }
  });

  it('GET lists the tokens with their use counts, never their values; the database holds only a digest', async () => {
    const { id, token } = await issueInitialAccessToken(server, { max_uses: 3 });
    assert.equal((await register(server, token, { grant_types: ['client_credentials'] })).status, 201);
    const { text, tokens } = await list();
    const listed = tokens.find((t) => t.id === id);
    assert.ok(listed);
    assert.equal(listed.uses, 1);
    assert.equal(listed.max_uses, 3);
    assert.deepEqual(listed.scopes, []);
    assert.equal(listed.revoked_at, null);
    assert.equal(listed.created_by, 'bootstrap');
    assert.ok(!text.includes(token));
    assert.ok(!text.includes('token_hash'));
    const rows = await server.built.services.database.db
      .withTables<{ oauth_initial_access_tokens: { id: string; token_hash: string } }>()
      .selectFrom('oauth_initial_access_tokens')
      .select('token_hash')
      .where('id', '=', id)
      .execute();
    assert.equal(rows[0]?.token_hash, server.built.services.digests.digest('initial-access-token', token));
  });

  it('DELETE revokes: the token is then refused at /oauth/register, clients it registered stay', async () => {
    const { id, token } = await issueInitialAccessToken(server, { max_uses: 5 });
    const first = await register(server, token, { grant_types: ['client_credentials'] });
    assert.equal(first.status, 201);
    const res = await adminCall(server, 'DELETE', `/initial-access-tokens/${id}`);
    assert.equal(res.status, 204, res.text);
    const refused = await register(server, token, { grant_types: ['client_credentials'] });
    assert.equal(refused.status, 401, refused.text);
    assert.equal(refused.json?.error, 'invalid_token');
    assert.ok((await list()).tokens.find((t) => t.id === id)?.revoked_at);
    assert.equal((await adminCall(server, 'GET', `/clients/${first.json?.client_id}`)).status, 200);
    assert.equal((await adminCall(server, 'DELETE', `/initial-access-tokens/${id}`)).status, 204, 'revoking again is fine');
    assert.equal((await adminCall(server, 'DELETE', '/initial-access-tokens/no-such-id')).status, 404);
  });

  it('issuing and revoking need the admin role: auditor and developer may only list', async () => {
    const { id } = await issueInitialAccessToken(server);
    for (const role of ['auditor', 'developer'] as const) {
      const key = await roleKey(role);
      const created = await adminCall(server, 'POST', '/initial-access-tokens', {}, key);
      assert.equal(created.status, 403, created.text);
      assert.equal(created.json?.token, undefined);
      assert.equal((await adminCall(server, 'DELETE', `/initial-access-tokens/${id}`, undefined, key)).status, 403);
      assert.ok((await list(key)).tokens.some((t) => t.id === id));
    }
    assert.equal((await list()).tokens.find((t) => t.id === id)?.revoked_at, null);
    assert.equal((await adminCall(server, 'GET', '/initial-access-tokens', undefined, 'not-a-key')).status, 401);
  });

  it('every issue and revocation, and every refused attempt, is in the audit log without the token', async () => {
    const { id, token } = await issueInitialAccessToken(server);
    assert.equal((await adminCall(server, 'DELETE', `/initial-access-tokens/${id}`)).status, 204);
    const auditor = await roleKey('auditor');
    assert.equal((await adminCall(server, 'POST', '/initial-access-tokens', {}, auditor)).status, 403);
    const entries = await audit();
    const created = entries.find((e) => e.action === 'initial_access_tokens.create' && e.target === id);
    assert.equal(created?.outcome, 'success');
    assert.equal(created?.actor, 'bootstrap');
    assert.equal(created?.status, 201);
    const revoked = entries.find((e) => e.action === 'initial_access_tokens.revoke' && e.target === id);
    assert.equal(revoked?.outcome, 'success');
    assert.ok(entries.some((e) => e.action === 'initial_access_tokens.create' && e.outcome === 'failure' && e.status === 403));
    assert.ok(!JSON.stringify(entries).includes(token));
  });

  it('the OpenAPI document describes the routes', async () => {
    const res = await fetch(`${server.issuer}/admin/v1/openapi.json`);
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    assert.ok(doc.paths['/initial-access-tokens']?.post);
    assert.ok(doc.paths['/initial-access-tokens']?.get);
    assert.ok(doc.paths['/initial-access-tokens/{id}']?.delete);
  });
});

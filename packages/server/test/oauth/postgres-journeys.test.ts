import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createScratchDatabase, POSTGRES_URL, type ScratchDatabase, SKIP_POSTGRES } from '../db/open-test-database.ts';
import { exchangeCode, obtainCode, PASSWORD, TestBrowser } from './security/authorize/authorize-flow.ts';
import { basic, type OAuthServer, postForm, startOAuthServer } from './start-oauth-server.ts';

/**
 * The authorization server's own queries (conditional updates, upserts, cascades) on the real
 * PostgreSQL the scale-out deployment uses; the rest of the OAuth suites run on SQLite.
 */
describe('OAuth journeys on PostgreSQL', { skip: SKIP_POSTGRES }, () => {
  let database: ScratchDatabase;
  let server: OAuthServer;
  before(async () => {
    database = await createScratchDatabase(POSTGRES_URL!, 'portcullis_oauth');
    server = await startOAuthServer({ PORTCULLIS_DATABASE_URL: database.url });
    await server.createUser('alice', PASSWORD);
  });
  after(async () => {
    await server?.close();
    await database?.drop();
  });
  const token = () => `${server.issuer}/oauth/token`;

  test('password grant, refresh rotation, reuse revokes the grant, throttling counts', async () => {
    const app = await server.createClient({
      name: 'fp',
      type: 'public',
      first_party: true,
      grant_types: ['password', 'refresh_token'],
      scopes: ['read'],
    });
    const wrong = await postForm(token(), {
      grant_type: 'password',
      client_id: app.client_id,
      username: 'alice',
      password: 'nope nope nope',
    });
    assert.equal(wrong.json?.error, 'invalid_grant');
    const first = await postForm(token(), {
      grant_type: 'password',
      client_id: app.client_id,
      username: 'alice',
      password: PASSWORD,
      scope: 'read',
    });
    assert.equal(first.status, 200, first.text);
    const r1 = String(first.json?.refresh_token);
    const second = await postForm(token(), { grant_type: 'refresh_token', client_id: app.client_id, refresh_token: r1 });
    assert.equal(second.status, 200, second.text);
    const reuse = await postForm(token(), { grant_type: 'refresh_token', client_id: app.client_id, refresh_token: r1 });
    assert.equal(reuse.json?.error, 'invalid_grant');
    const r2 = await postForm(token(), {
      grant_type: 'refresh_token',
      client_id: app.client_id,
      refresh_token: String(second.json?.refresh_token),
    });
    assert.equal(r2.json?.error, 'invalid_grant', 'the whole grant is revoked');
    const feed = (await (await fetch(`${server.issuer}/oauth/revocations`)).json()) as { revoked: unknown[] };
    assert.ok(feed.revoked.length >= 2);
  });

  test('client credentials, introspection and revocation', async () => {
    const m2m = await server.createClient({
      name: 'm2m',
      type: 'confidential',
      grant_types: ['client_credentials'],
      scopes: ['read'],
    });
    const auth = basic(m2m.client_id, m2m.client_secret!);
    const issued = await postForm(token(), { grant_type: 'client_credentials' }, auth);
    const accessToken = String(issued.json?.access_token);
    assert.equal((await postForm(`${server.issuer}/oauth/introspect`, { token: accessToken }, auth)).json?.active, true);
    assert.equal((await postForm(`${server.issuer}/oauth/revoke`, { token: accessToken }, auth)).status, 200);
    assert.deepEqual((await postForm(`${server.issuer}/oauth/introspect`, { token: accessToken }, auth)).json, { active: false });
  });

  test('authorization code with PKCE and consent; a replayed code revokes what it issued', async () => {
    const app = await server.createClient({
      name: 'partner',
      type: 'public',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['https://app.example.com/cb'],
      scopes: ['read'],
    });
    const { code, verifier } = await obtainCode(new TestBrowser(server), app, 'https://app.example.com/cb', {
      scope: 'openid read',
      nonce: 'n-1',
    });
    const exchanged = await exchangeCode(server, app, {
      code,
      redirect_uri: 'https://app.example.com/cb',
      code_verifier: verifier,
    });
    assert.equal(exchanged.status, 200, exchanged.text);
    assert.ok(exchanged.json?.id_token);
    const replay = await exchangeCode(server, app, { code, redirect_uri: 'https://app.example.com/cb', code_verifier: verifier });
    assert.equal(replay.json?.error, 'invalid_grant');
    const refresh = await postForm(token(), {
      grant_type: 'refresh_token',
      client_id: app.client_id,
      refresh_token: String(exchanged.json?.refresh_token),
    });
    assert.equal(refresh.json?.error, 'invalid_grant');
  });

  test('dynamic registration spends initial access token uses atomically', async () => {
    const admin = { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' };
    const iat = (await (
      await fetch(`${server.issuer}/admin/v1/initial-access-tokens`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ max_uses: 1 }),
      })
    ).json()) as {
      token: string;
    };
    const register = () =>
      fetch(`${server.issuer}/oauth/register`, {
        method: 'POST',
        headers: { authorization: `Bearer ${iat.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_types: ['client_credentials'],
          token_endpoint_auth_method: 'client_secret_basic',
          client_name: 'dcr',
        }),
      });
    const statuses = (await Promise.all([register(), register(), register()])).map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 401, 401], 'one use, even under concurrency');
  });

  test('deleting a user revokes their tokens and cascades their grants', async () => {
    await server.createUser('bob', PASSWORD);
    const app = await server.createClient({
      name: 'fp2',
      type: 'public',
      first_party: true,
      grant_types: ['password', 'refresh_token'],
    });
    const issued = await postForm(token(), {
      grant_type: 'password',
      client_id: app.client_id,
      username: 'bob',
      password: PASSWORD,
    });
    assert.equal(issued.status, 200, issued.text);
    const res = await fetch(`${server.issuer}/admin/v1/users/bob`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${server.adminKey}` },
    });
    assert.equal(res.status, 204);
    const refresh = await postForm(token(), {
      grant_type: 'refresh_token',
      client_id: app.client_id,
      refresh_token: String(issued.json?.refresh_token),
    });
    assert.equal(refresh.json?.error, 'invalid_grant');
  });
});

// Admin API authentication (bearer admin keys) and the three roles.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AdminKeyView, AdminRole, SigningKeyView } from '@portcullis/protocol';
import { admin, assertError, call, startApp, type TestApp, usernames } from './start-app.ts';

type CreatedKey = AdminKeyView & { key: string };

async function createKey(t: TestApp, role: AdminRole, label?: string): Promise<CreatedKey> {
  const res = await call(t, 'POST', admin('/admin-keys'), { body: { role, ...(label ? { label } : {}) } });
  assert.equal(res.status, 201, res.body);
  return res.json as CreatedKey;
}

async function tokenKids(t: TestApp): Promise<string[]> {
  return (await t.services.signingKeys.list()).filter((k) => k.use === 'token').map((k: SigningKeyView) => `${k.kid}:${k.state}`);
}

describe('admin authentication', () => {
  let t: TestApp;
  before(async () => {
    t = await startApp();
  });
  after(() => t.close());

  it('no Authorization header is 401 invalid_token with a Bearer challenge', async () => {
    const res = await call(t, 'GET', admin('/users'), { key: null });
    assertError(res, 401, 'invalid_token');
    assert.match(String(res.headers['www-authenticate']), /^Bearer( |$)/);
  });

  it('no credentials: the challenge names no error code (RFC 6750 §3.1)', async () => {
    const res = await call(t, 'GET', admin('/users'), { key: null });
    assertError(res, 401, 'invalid_token');
    assert.match(String(res.headers['www-authenticate']), /^Bearer realm="[^"]+"$/);
  });

  it('the auth scheme name is case-insensitive (RFC 9110 §11.1)', async () => {
    const res = await call(t, 'GET', admin('/users'), { key: null, headers: { authorization: `bearer ${t.adminKey}` } });
    assert.equal(res.status, 200, res.body);
  });

  it('a wrong key is 401 invalid_token', async () => {
    const res = await call(t, 'GET', admin('/users'), {
      key: `${t.adminKey.slice(0, -1)}${t.adminKey.endsWith('A') ? 'B' : 'A'}`,
    });
    assertError(res, 401, 'invalid_token');
    assert.match(String(res.headers['www-authenticate']), /^Bearer .*error="invalid_token"/);
  });

  it('a key in another scheme, or with trailing garbage, is 401', async () => {
    const basic = await call(t, 'GET', admin('/users'), { key: null, headers: { authorization: `Basic ${t.adminKey}` } });
    assertError(basic, 401, 'invalid_token');
    const padded = await call(t, 'GET', admin('/users'), { key: null, headers: { authorization: `Bearer ${t.adminKey} x` } });
    assertError(padded, 401, 'invalid_token');
  });

  it('a wrong key cannot write', async () => {
    const res = await call(t, 'POST', admin('/users'), {
      key: 'pck_not-a-real-key-at-all-000000000000',
      body: { username: 'intruder' },
    });
    assertError(res, 401, 'invalid_token');
    assert.deepEqual(await usernames(t), []);
  });

  it('a revoked key is 401', async () => {
    const created = await createKey(t, 'developer', 'to revoke');
    assert.equal((await call(t, 'GET', admin('/users'), { key: created.key })).status, 200);
    const revoked = await call(t, 'DELETE', admin(`/admin-keys/${created.id}`));
    assert.equal(revoked.status, 204, revoked.body);
    assertError(await call(t, 'GET', admin('/users'), { key: created.key }), 401, 'invalid_token');
    assertError(await call(t, 'POST', admin('/users'), { key: created.key, body: { username: 'late' } }), 401, 'invalid_token');
    assert.deepEqual(await usernames(t), []);
    const listed = (await call(t, 'GET', admin('/admin-keys'))).json as { admin_keys: AdminKeyView[] };
    assert.notEqual(listed.admin_keys.find((k) => k.id === created.id)?.revoked_at ?? null, null);
    // Revoking twice is a 404, not a success.
    assertError(await call(t, 'DELETE', admin(`/admin-keys/${created.id}`)), 404, 'not_found');
  });

  it('a created key is shown once: in the 201 answer, never in the list, nor its hash', async () => {
    const created = await createKey(t, 'auditor', 'shown once');
    assert.match(created.key, /^pck_[A-Za-z0-9_-]{43}$/);
    assert.equal(created.role, 'auditor');
    assert.equal(created.label, 'shown once');
    assert.equal(created.bootstrap, false);
    assert.ok(!('key_hash' in created));
    const res = await call(t, 'GET', admin('/admin-keys'));
    assert.equal(res.status, 200);
    const { admin_keys } = res.json as { admin_keys: Record<string, unknown>[] };
    const listed = admin_keys.find((k) => k.id === created.id);
    assert.ok(listed);
    assert.deepEqual(Object.keys(listed).sort(), [
      'bootstrap',
      'created_at',
      'id',
      'label',
      'last_used_at',
      'revoked_at',
      'role',
    ]);
    const hashes = await t.services.database.db.selectFrom('admin_keys').select('key_hash').execute();
    assert.ok(hashes.length >= 2);
    for (const { key_hash } of hashes) assert.ok(!res.body.includes(key_hash), 'a key hash is listed');
    assert.ok(!res.body.includes(created.key) && !res.body.includes(t.adminKey), 'a key value is listed');
    assert.ok(!res.body.includes('pck_'));
    // The database holds no key value either.
    const rows = await t.services.database.db.selectFrom('admin_keys').selectAll().execute();
    assert.ok(!JSON.stringify(rows).includes(created.key));
  });

  it('an unknown role is 400 and creates nothing', async () => {
    const before = (await t.services.adminKeys.list()).length;
    assertError(await call(t, 'POST', admin('/admin-keys'), { body: { role: 'root' } }), 400, 'invalid_request');
    assertError(
      await call(t, 'POST', admin('/admin-keys'), { body: { role: 'admin', key: 'chosen-by-me' } }),
      400,
      'invalid_request',
    );
    assert.equal((await t.services.adminKeys.list()).length, before);
  });
});

describe('admin roles', () => {
  let t: TestApp;
  let auditor: CreatedKey;
  let developer: CreatedKey;
  before(async () => {
    t = await startApp();
    auditor = await createKey(t, 'auditor');
    developer = await createKey(t, 'developer');
  });
  after(() => t.close());

  it('auditor reads users, keys, admin keys and the audit log', async () => {
    for (const path of ['/users', '/keys', '/audit', '/admin-keys']) {
      const res = await call(t, 'GET', admin(path), { key: auditor.key });
      assert.equal(res.status, 200, `${path}: ${res.body}`);
    }
  });

  it('auditor cannot create or delete users: 403 forbidden, nothing written', async () => {
    assertError(await call(t, 'POST', admin('/users'), { key: auditor.key, body: { username: 'by-auditor' } }), 403, 'forbidden');
    assert.deepEqual(await usernames(t), []);
    await t.services.users.create({ username: 'keepme' });
    assertError(await call(t, 'DELETE', admin('/users/keepme'), { key: auditor.key }), 403, 'forbidden');
    assertError(
      await call(t, 'PUT', admin('/users/keepme/password'), { key: auditor.key, body: { password: 'a-long-password' } }),
      403,
      'forbidden',
    );
    assert.deepEqual(await usernames(t), ['keepme']);
  });

  it('developer creates users but cannot rotate keys or create admin keys', async () => {
    const created = await call(t, 'POST', admin('/users'), { key: developer.key, body: { username: 'by-developer' } });
    assert.equal(created.status, 201, created.body);
    assert.ok((await usernames(t)).includes('by-developer'));

    const kidsBefore = await tokenKids(t);
    assertError(await call(t, 'POST', admin('/keys/rotate'), { key: developer.key, body: { use: 'token' } }), 403, 'forbidden');
    assert.deepEqual(await tokenKids(t), kidsBefore);

    const keysBefore = (await t.services.adminKeys.list()).length;
    const res = await call(t, 'POST', admin('/admin-keys'), { key: developer.key, body: { role: 'admin' } });
    assertError(res, 403, 'forbidden');
    assert.ok(!res.body.includes('pck_'));
    assertError(await call(t, 'DELETE', admin(`/admin-keys/${auditor.id}`), { key: developer.key }), 403, 'forbidden');
    assert.equal((await t.services.adminKeys.list()).length, keysBefore);
    assert.equal((await call(t, 'GET', admin('/users'), { key: auditor.key })).status, 200, 'the auditor key was revoked');
  });

  it('admin can do all of it', async () => {
    assert.equal((await call(t, 'POST', admin('/users'), { body: { username: 'by-admin' } })).status, 201);
    const kidsBefore = await tokenKids(t);
    assert.equal((await call(t, 'POST', admin('/keys/rotate'), { body: { use: 'token' } })).status, 200);
    assert.notDeepEqual(await tokenKids(t), kidsBefore);
    const created = await createKey(t, 'admin');
    assert.equal((await call(t, 'GET', admin('/audit'), { key: created.key })).status, 200);
    assert.equal((await call(t, 'DELETE', admin('/users/by-admin'), { key: created.key })).status, 204);
    assert.equal((await call(t, 'DELETE', admin(`/admin-keys/${developer.id}`), { key: created.key })).status, 204);
    assertError(await call(t, 'GET', admin('/users'), { key: developer.key }), 401, 'invalid_token');
  });
});

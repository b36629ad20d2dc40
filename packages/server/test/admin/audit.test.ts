// The audit log: every admin mutation, successful or refused, and no reads.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AdminKeyView, AuditEntry } from '@portcullis/protocol';
import { admin, assertError, auditCount, call, startApp, type TestApp } from './start-app.ts';

async function entries(t: TestApp): Promise<AuditEntry[]> {
  const res = await call(t, 'GET', admin('/audit?limit=1000'));
  assert.equal(res.status, 200, res.body);
  return (res.json as { entries: AuditEntry[] }).entries;
}

/** The one entry written by the request `requestId`, read from the database. */
async function entryOf(t: TestApp, requestId: string): Promise<AuditEntry> {
  const rows = await t.services.database.db.selectFrom('audit_log').select('id').where('request_id', '=', requestId).execute();
  assert.equal(rows.length, 1, `${rows.length} audit rows for request ${requestId}`);
  const entry = (await entries(t)).find((e) => e.id === rows[0]?.id);
  assert.ok(entry, `the audit entry of ${requestId} is not served by GET /audit`);
  return entry;
}

describe('admin audit log', () => {
  let t: TestApp;
  let developer: AdminKeyView & { key: string };
  before(async () => {
    t = await startApp();
    const res = await call(t, 'POST', admin('/admin-keys'), {
      body: { role: 'developer' },
      headers: { 'x-request-id': 'audit-setup' },
    });
    assert.equal(res.status, 201);
    developer = res.json as AdminKeyView & { key: string };
  });
  after(() => t.close());

  it('records a successful create with the actor, action, target, outcome and status', async () => {
    const res = await call(t, 'POST', admin('/users'), { body: { username: 'ivan' }, headers: { 'x-request-id': 'audit-1' } });
    assert.equal(res.status, 201);
    const entry = await entryOf(t, 'audit-1');
    assert.equal(entry.actor, 'bootstrap');
    assert.equal(entry.action, 'users.create');
    assert.equal(entry.target, 'ivan');
    assert.equal(entry.outcome, 'success');
    assert.equal(entry.status, 201);
    assert.ok(Math.abs(Date.parse(entry.at) - Date.now()) < 60_000);
  });

  it('records the creating key id as the actor', async () => {
    const res = await call(t, 'POST', admin('/users'), {
      key: developer.key,
      body: { username: 'judy' },
      headers: { 'x-request-id': 'audit-2' },
    });
    assert.equal(res.status, 201);
    const entry = await entryOf(t, 'audit-2');
    assert.equal(entry.actor, developer.id);
    assert.equal(entry.action, 'users.create');
  });

  it('records a refused create (409) as a failure', async () => {
    const res = await call(t, 'POST', admin('/users'), { body: { username: 'IVAN' }, headers: { 'x-request-id': 'audit-3' } });
    assertError(res, 409, 'conflict');
    const entry = await entryOf(t, 'audit-3');
    assert.equal(entry.action, 'users.create');
    assert.equal(entry.outcome, 'failure');
    assert.equal(entry.status, 409);
  });

  it('records an invalid body (400) as a failure', async () => {
    assertError(
      await call(t, 'POST', admin('/users'), { body: { username: 1 }, headers: { 'x-request-id': 'audit-4' } }),
      400,
      'invalid_request',
    );
    const entry = await entryOf(t, 'audit-4');
    assert.equal(entry.action, 'users.create');
    assert.equal(entry.outcome, 'failure');
    assert.equal(entry.status, 400);
  });

  it('records an unauthenticated attempt (401) with actor "unauthenticated"', async () => {
    const res = await call(t, 'POST', admin('/users'), {
      key: 'wrong-key-wrong-key-wrong-key',
      body: { username: 'x' },
      headers: { 'x-request-id': 'audit-5' },
    });
    assertError(res, 401, 'invalid_token');
    const entry = await entryOf(t, 'audit-5');
    assert.equal(entry.actor, 'unauthenticated');
    assert.equal(entry.action, 'users.create');
    assert.equal(entry.outcome, 'failure');
    assert.equal(entry.status, 401);
    const anonymous = await call(t, 'DELETE', admin('/users/ivan'), { key: null, headers: { 'x-request-id': 'audit-5b' } });
    assertError(anonymous, 401, 'invalid_token');
    assert.equal((await entryOf(t, 'audit-5b')).actor, 'unauthenticated');
  });

  it('records a forbidden attempt (403) with the key that tried', async () => {
    const res = await call(t, 'POST', admin('/keys/rotate'), {
      key: developer.key,
      body: { use: 'token' },
      headers: { 'x-request-id': 'audit-6' },
    });
    assertError(res, 403, 'forbidden');
    const entry = await entryOf(t, 'audit-6');
    assert.equal(entry.actor, developer.id);
    assert.equal(entry.action, 'keys.rotate');
    assert.equal(entry.outcome, 'failure');
    assert.equal(entry.status, 403);
  });

  it('records delete, set-password, rotation, admin key creation and revocation', async () => {
    const cases: [string, string, string, unknown, string, number][] = [
      ['audit-7a', 'PUT', '/users/ivan/password', { password: 'ivan-password' }, 'users.set_password', 204],
      ['audit-7b', 'DELETE', '/users/ivan', undefined, 'users.delete', 204],
      ['audit-7c', 'DELETE', '/users/ivan', undefined, 'users.delete', 404],
      ['audit-7d', 'POST', '/keys/rotate', { use: 'token' }, 'keys.rotate', 200],
      ['audit-7e', 'POST', '/admin-keys', { role: 'auditor' }, 'admin_keys.create', 201],
      ['audit-7f', 'DELETE', `/admin-keys/${developer.id}`, undefined, 'admin_keys.revoke', 204],
    ];
    for (const [id, method, path, body, action, status] of cases) {
      const res = await call(t, method, admin(path), { body, headers: { 'x-request-id': id } });
      assert.equal(res.status, status, `${method} ${path}: ${res.body}`);
      const entry = await entryOf(t, id);
      assert.equal(entry.action, action, id);
      assert.equal(entry.status, status, id);
      assert.equal(entry.outcome, status < 400 ? 'success' : 'failure', id);
    }
    assert.equal((await entryOf(t, 'audit-7b')).target, 'ivan');
    assert.equal((await entryOf(t, 'audit-7d')).target, 'token');
    assert.equal((await entryOf(t, 'audit-7f')).target, developer.id);
  });

  it('does not audit GET requests, successful or refused', async () => {
    const before = await auditCount(t);
    for (const path of ['/users', '/users/judy', '/users/nobody', '/keys', '/admin-keys', '/audit', '/openapi.json']) {
      await call(t, 'GET', admin(path));
    }
    await call(t, 'GET', admin('/users'), { key: null });
    await call(t, 'GET', admin('/users'), { key: 'wrong-key-wrong-key-wrong-key' });
    assert.equal(await auditCount(t), before);
  });

  it('serves the log newest first, with a limit', async () => {
    const all = await entries(t);
    assert.ok(all.length >= 10);
    const times = all.map((e) => Date.parse(e.at));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );
    const two = (await call(t, 'GET', admin('/audit?limit=2'))).json as { entries: AuditEntry[] };
    assert.equal(two.entries.length, 2);
    assertError(await call(t, 'GET', admin('/audit?limit=0')), 400, 'invalid_request');
    assertError(await call(t, 'GET', admin('/audit?since=yesterday')), 400, 'invalid_request');
  });

  it('nothing in the log carries a secret', async () => {
    const body = (await call(t, 'GET', admin('/audit?limit=1000'))).body;
    assert.ok(!body.includes('ivan-password'));
    assert.ok(!body.includes('pck_'));
    assert.ok(!body.includes(t.adminKey));
  });
});

// Users through the admin API: validation before any write, unique names, passwords never shown.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { UserView } from '@portcullis/protocol';
import { admin, assertError, call, startApp, type TestApp, usernames } from './start-app.ts';

const PASSWORD = 'correct horse battery';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('admin users', () => {
  let t: TestApp;
  before(async () => {
    t = await startApp();
  });
  after(() => t.close());
  beforeEach(async () => {
    for (const user of await t.services.users.list(1000, 0)) await t.services.users.delete(user.id);
  });

  async function createUser(body: Record<string, unknown>): Promise<UserView> {
    const res = await call(t, 'POST', admin('/users'), { body });
    assert.equal(res.status, 201, res.body);
    return res.json as UserView;
  }

  async function assertRefused(body: unknown, code = 'invalid_request', status = 400): Promise<void> {
    const before = await usernames(t);
    assertError(await call(t, 'POST', admin('/users'), { body }), status, code);
    assert.deepEqual(await usernames(t), before, `${JSON.stringify(body)} wrote a user`);
  }

  it('creates a user: 201, the view without any password field', async () => {
    const res = await call(t, 'POST', admin('/users'), {
      body: { username: 'Alice', password: PASSWORD, email: 'alice@example.com', given_name: 'Alice', family_name: 'Liddell' },
    });
    assert.equal(res.status, 201, res.body);
    const user = res.json as Record<string, unknown>;
    assert.deepEqual(Object.keys(user).sort(), [
      'created_at',
      'email',
      'family_name',
      'given_name',
      'id',
      'status',
      'updated_at',
      'username',
    ]);
    assert.match(String(user.id), UUID);
    assert.equal(user.username, 'Alice');
    assert.equal(user.email, 'alice@example.com');
    assert.equal(user.status, 'active');
    assert.ok(!res.body.includes(PASSWORD));
    assert.ok(!res.body.includes('argon2'));
    assert.deepEqual(await usernames(t), ['Alice']);
    const list = await call(t, 'GET', admin('/users'));
    assert.ok(!list.body.includes('password') && !list.body.includes('argon2'));
  });

  it('a name differing only in case is 409 conflict; the list still has one', async () => {
    await createUser({ username: 'alice' });
    await assertRefused({ username: 'ALICE' }, 'conflict', 409);
    await assertRefused({ username: 'Alice', password: PASSWORD }, 'conflict', 409);
    assert.deepEqual(await usernames(t), ['alice']);
  });

  it('a name differing only by Unicode compatibility form is 409 conflict', async () => {
    await createUser({ username: 'alice' });
    await assertRefused({ username: 'ａｌｉｃｅ' }, 'conflict', 409);
    await assertRefused({ username: 'ＡＬＩＣＥ' }, 'conflict', 409);
    const users = (await call(t, 'GET', admin('/users'))).json as { users: UserView[] };
    assert.equal(users.users.length, 1);
  });

  it('the fullwidth name first, then the ASCII one: still one user', async () => {
    await createUser({ username: 'ｂｏｂ' });
    await assertRefused({ username: 'bob' }, 'conflict', 409);
    assert.equal((await usernames(t)).length, 1);
  });

  it('concurrent creates of one name: exactly one 201, the others 409', async () => {
    const answers = await Promise.all(
      ['Zed', 'zed', 'ＺＥＤ'].map((username) => call(t, 'POST', admin('/users'), { body: { username, password: PASSWORD } })),
    );
    assert.deepEqual(answers.map((a) => a.status).sort(), [201, 409, 409]);
    assert.equal((await usernames(t)).length, 1);
  });

  it("an id always means that user: a username shaped like another user's id cannot shadow it", async () => {
    const victim = await createUser({ username: 'victim' });
    const impostor = await call(t, 'POST', admin('/users'), { body: { username: victim.id } });
    if (impostor.status !== 201) {
      assertError(impostor, 400, 'invalid_request');
      return;
    }
    const shown = await call(t, 'GET', admin(`/users/${victim.id}`));
    assert.equal((shown.json as UserView).id, victim.id, 'GET by id returned another user');
    assert.equal((await call(t, 'DELETE', admin(`/users/${victim.id}`))).status, 204);
    assert.ok(!(await usernames(t)).includes('victim'), 'DELETE by id deleted another user');
  });

  it('wrong types are 400 and write nothing', async () => {
    await assertRefused({ username: 123 });
    await assertRefused({ username: ['alice'] });
    await assertRefused({ username: 'alice', password: 12345678 });
    await assertRefused({ username: 'alice', email: null });
    await assertRefused(['alice']);
    await assertRefused('alice');
  });

  it('an unknown field is 400 and writes nothing', async () => {
    await assertRefused({ username: 'alice', role: 'admin' });
    await assertRefused({ username: 'alice', password_hash: '$argon2id$v=19$m=19456,t=2,p=1$AAAA$AAAA' });
  });

  it('a missing username is 400 and writes nothing', async () => {
    await assertRefused({ password: PASSWORD });
    await assertRefused({});
    await assertRefused({ username: '' });
  });

  it('a password under 8 characters is 400 and writes nothing', async () => {
    await assertRefused({ username: 'alice', password: 'short' });
    await assertRefused({ username: 'alice', password: '1234567' });
    await assertRefused({ username: 'alice', password: '' });
    await createUser({ username: 'alice', password: '12345678' });
  });

  it('an invalid email is 400 and writes nothing', async () => {
    await assertRefused({ username: 'alice', email: 'not-an-email' });
    await assertRefused({ username: 'alice', email: 'alice@' });
    await assertRefused({ username: 'alice', email: '@example.com' });
  });

  it('a username with "/", spaces or control characters is 400', async () => {
    for (const username of ['a/b', '../admin', 'bob smith', ' bob', 'bob ', 'bob\n', 'bob\u0000', '.bob', 'x'.repeat(65)]) {
      await assertRefused({ username });
    }
    assert.deepEqual(await usernames(t), []);
  });

  it('shows a user by username in any case, and by id', async () => {
    const created = await createUser({ username: 'Carol', email: 'carol@example.com' });
    for (const ref of ['Carol', 'carol', 'CAROL', 'ｃａｒｏｌ', created.id]) {
      const res = await call(t, 'GET', admin(`/users/${encodeURIComponent(ref)}`));
      assert.equal(res.status, 200, `${ref}: ${res.body}`);
      assert.deepEqual(res.json, created);
    }
    assertError(await call(t, 'GET', admin('/users/nobody')), 404, 'not_found');
    assertError(await call(t, 'GET', admin('/users/00000000-0000-4000-8000-000000000000')), 404, 'not_found');
  });

  it('deletes a user: 204, then show is 404 and delete again is 404', async () => {
    await createUser({ username: 'dave' });
    await createUser({ username: 'erin' });
    const res = await call(t, 'DELETE', admin('/users/DAVE'));
    assert.equal(res.status, 204);
    assert.equal(res.body, '');
    assertError(await call(t, 'GET', admin('/users/dave')), 404, 'not_found');
    assertError(await call(t, 'DELETE', admin('/users/dave')), 404, 'not_found');
    assert.deepEqual(await usernames(t), ['erin']);
  });

  it('deletes a user by id', async () => {
    const created = await createUser({ username: 'frank' });
    assert.equal((await call(t, 'DELETE', admin(`/users/${created.id}`))).status, 204);
    assert.deepEqual(await usernames(t), []);
  });

  it('sets a password: 204; the new one verifies, the old one no longer does', async () => {
    const oldPassword = 'the-old-password';
    const newPassword = 'the-new-password';
    await createUser({ username: 'grace', password: oldPassword });
    assert.equal((await t.services.users.verifyCredentials('grace', oldPassword))?.username, 'grace');
    const res = await call(t, 'PUT', admin('/users/Grace/password'), { body: { password: newPassword } });
    assert.equal(res.status, 204, res.body);
    assert.equal((await t.services.users.verifyCredentials('grace', newPassword))?.username, 'grace');
    assert.equal(await t.services.users.verifyCredentials('grace', oldPassword), null);
  });

  it('refuses a short password or a missing user on set-password, and keeps the old one', async () => {
    await createUser({ username: 'heidi', password: 'heidi-password' });
    assertError(await call(t, 'PUT', admin('/users/heidi/password'), { body: { password: 'short' } }), 400, 'invalid_request');
    assertError(
      await call(t, 'PUT', admin('/users/heidi/password'), { body: { password: 'long-enough', x: 1 } }),
      400,
      'invalid_request',
    );
    assertError(await call(t, 'PUT', admin('/users/nobody/password'), { body: { password: 'long-enough' } }), 404, 'not_found');
    assert.equal((await t.services.users.verifyCredentials('heidi', 'heidi-password'))?.username, 'heidi');
    assert.equal(await t.services.users.verifyCredentials('heidi', 'short'), null);
  });

  it('lists users ordered by name, with limit and offset', async () => {
    for (const username of ['mike', 'Lena', 'kate']) await createUser({ username });
    const all = (await call(t, 'GET', admin('/users'))).json as { users: UserView[] };
    assert.deepEqual(
      all.users.map((u) => u.username),
      ['kate', 'Lena', 'mike'],
    );
    const page = (await call(t, 'GET', admin('/users?limit=1&offset=1'))).json as { users: UserView[] };
    assert.deepEqual(
      page.users.map((u) => u.username),
      ['Lena'],
    );
    assertError(await call(t, 'GET', admin('/users?limit=0')), 400, 'invalid_request');
    assertError(await call(t, 'GET', admin('/users?limit=abc')), 400, 'invalid_request');
  });
});

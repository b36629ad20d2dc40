// The admin verbs against a real `portcullis serve` in a child process: no fake admin API.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AdminKeyView, KEY_USES, type SigningKeyView, type UserView } from '@portcullis/protocol';
import { assertFailure, assertSuccess, closedPort, parseJson, runCli, useServer } from './cli-process.ts';

describe('portcullis admin verbs against a running server', () => {
  const suite = useServer();
  const cli = suite.cli;

  describe('users', () => {
    const password = 'correct horse battery staple';

    it('creates a user from a password on stdin', async () => {
      const result = await cli(
        ['users', 'create', 'alice', '--password-stdin', '--email', 'alice@example.com', '--given-name', 'Alice'],
        {
          stdin: `${password}\n`,
        },
      );
      assertSuccess(result);
      assert.match(result.stdout, /^created user "alice" \(id .+\)\n$/);
      assert.ok(!result.stdout.includes(password));
    });

    it('lists her, without any password field', async () => {
      const body = parseJson<{ users: UserView[] }>(await cli(['users', 'list', '--json']));
      const alice = body.users.find((user) => user.username === 'alice');
      assert.ok(alice, 'alice is listed');
      assert.equal(alice.email, 'alice@example.com');
      assert.equal(alice.given_name, 'Alice');
      for (const user of body.users) {
        for (const field of Object.keys(user)) assert.doesNotMatch(field, /password|hash|secret/i);
      }
    });

    it('lists her in a table', async () => {
      const result = await cli(['users', 'list']);
      assertSuccess(result);
      assert.match(result.stdout, /^USERNAME\s+EMAIL\s+NAME\s+STATUS\s+CREATED\n/);
      assert.match(result.stdout, /\nalice\s+alice@example\.com\s+Alice\s+active\s+/);
    });

    it('shows her', async () => {
      const user = parseJson<UserView>(await cli(['users', 'show', 'alice', '--json']));
      assert.equal(user.username, 'alice');
      assert.equal(user.status, 'active');
      const text = await cli(['users', 'show', 'alice']);
      assertSuccess(text);
      assert.match(text.stdout, /^username:\s+alice\n/);
      assert.match(text.stdout, /\nemail:\s+alice@example\.com\n/);
    });

    it('refuses a second alice as a conflict', async () => {
      const result = await cli(['users', 'create', 'alice', '--password-stdin'], { stdin: password });
      assertFailure(result, /alice/);
      assert.match(result.stderr, /\(conflict\)\n$/);
    });

    it('changes her password', async () => {
      const result = await cli(['users', 'set-password', 'alice', '--password-stdin', '--json'], { stdin: 'a new password\n' });
      assert.deepEqual(parseJson(result), { username: 'alice', password_changed: true });
    });

    it('deletes her, after which she is not found', async () => {
      assertSuccess(await cli(['users', 'delete', 'alice']));
      assertFailure(await cli(['users', 'show', 'alice']), /\(not_found\)\n$/);
      assertFailure(await cli(['users', 'delete', 'alice']), /\(not_found\)\n$/);
    });
  });

  describe('admin keys', () => {
    let auditor: AdminKeyView & { key: string };

    it('creates an auditor key and prints it once', async () => {
      auditor = parseJson<AdminKeyView & { key: string }>(
        await cli(['admin-keys', 'create', '--role', 'auditor', '--label', 'ci', '--json']),
      );
      assert.equal(auditor.role, 'auditor');
      assert.equal(auditor.label, 'ci');
      assert.equal(typeof auditor.key, 'string');
      assert.ok(auditor.key.length >= 32);
    });

    it('says in text mode that the key will not be shown again', async () => {
      const result = await cli(['admin-keys', 'create', '--role', 'developer']);
      assertSuccess(result);
      assert.match(result.stdout, /^created admin key \S+ \(role developer\)\nkey: \S+\n.*will not be shown again/);
    });

    it('lets the auditor read users but not create them', async () => {
      assertSuccess(await cli(['users', 'list'], { key: auditor.key }));
      const result = await cli(['users', 'create', 'mallory', '--password-stdin'], { key: auditor.key, stdin: 'pw' });
      assertFailure(result, /\(forbidden\)\n$/);
    });

    it('lists keys without the keys themselves', async () => {
      const body = parseJson<{ admin_keys: AdminKeyView[] }>(await cli(['admin-keys', 'list', '--json']));
      const listed = body.admin_keys.find((key) => key.id === auditor.id);
      assert.ok(listed, 'the auditor key is listed');
      assert.equal(listed.revoked_at, null);
      assert.ok(body.admin_keys.some((key) => key.bootstrap));
      assert.ok(!body.admin_keys.some((key) => 'key' in key));
      assert.ok(!JSON.stringify(body).includes(auditor.key));
      assert.ok(!JSON.stringify(body).includes(suite.server.adminKey));
    });

    it('revokes the auditor key, after which it is rejected', async () => {
      assert.deepEqual(parseJson(await cli(['admin-keys', 'revoke', auditor.id, '--json'])), { id: auditor.id, revoked: true });
      const result = await cli(['users', 'list'], { key: auditor.key });
      assertFailure(result, /^portcullis: the server rejected the admin key/);
      assert.ok(!result.stderr.includes(auditor.key));
    });
  });

  describe('signing keys', () => {
    it('has a current and a next key for every use', async () => {
      const { keys } = parseJson<{ keys: SigningKeyView[] }>(await cli(['keys', 'list', '--json']));
      for (const use of KEY_USES) {
        assert.equal(keys.filter((key) => key.use === use && key.state === 'current').length, 1, `one current ${use} key`);
        assert.equal(keys.filter((key) => key.use === use && key.state === 'next').length, 1, `one next ${use} key`);
      }
      const table = await cli(['keys', 'list']);
      assertSuccess(table);
      assert.match(table.stdout, /^KID\s+USE\s+ALG\s+STATE\s+/);
    });

    it('rotates: the next key becomes current and the current one retires', async () => {
      const before = parseJson<{ keys: SigningKeyView[] }>(await cli(['keys', 'list', '--json'])).keys;
      const oldCurrent = before.find((key) => key.use === 'token' && key.state === 'current')!;
      const oldNext = before.find((key) => key.use === 'token' && key.state === 'next')!;

      const rotated = parseJson<{ current: SigningKeyView; next: SigningKeyView }>(
        await cli(['keys', 'rotate', '--use', 'token', '--alg', 'ES256', '--json']),
      );
      assert.equal(rotated.current.kid, oldNext.kid);
      assert.equal(rotated.current.state, 'current');
      assert.equal(rotated.next.state, 'next');
      assert.equal(rotated.next.use, 'token');
      assert.equal(rotated.next.alg, 'ES256');
      assert.notEqual(rotated.next.kid, oldCurrent.kid);
      assert.notEqual(rotated.next.kid, oldNext.kid);

      const after = parseJson<{ keys: SigningKeyView[] }>(await cli(['keys', 'list', '--json'])).keys;
      assert.equal(after.find((key) => key.kid === oldCurrent.kid)?.state, 'retired');
    });

    it('rotates in text mode', async () => {
      const result = await cli(['keys', 'rotate', '--use', 'attestation']);
      assertSuccess(result);
      assert.match(result.stdout, /^rotated attestation keys\ncurrent: \S+ \(\w+\)\nnext: +\S+ \(\w+\)\n$/);
    });
  });

  describe('failures', () => {
    it('exits 2 on bad usage', async () => {
      const unknown = await cli(['users', 'frobnicate']);
      assert.equal(unknown.code, 2);
      const noPassword = await cli(['users', 'create', 'bob'], { stdin: 'pw\n' });
      assert.equal(noPassword.code, 2);
      assert.match(noPassword.stderr, /^portcullis: .*--password-stdin.*\n$/);
      assert.equal((await cli(['users', 'show', 'bob'])).code, 1, 'bob was never created');
    });

    it('exits 1 with one line when the server is unreachable', async () => {
      const port = await closedPort();
      const result = await runCli([
        'users',
        'list',
        '--server',
        `http://127.0.0.1:${port}`,
        '--admin-key',
        suite.server.adminKey,
      ]);
      assertFailure(result, /^portcullis: cannot reach the server at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)\n$/);
    });

    it('exits 1 with one line when the admin key is wrong', async () => {
      const result = await cli(['users', 'list'], { key: 'not-a-valid-admin-key-0123456789abcdef' });
      assertFailure(result, /^portcullis: the server rejected the admin key/);
      assert.doesNotMatch(result.stderr, /not-a-valid-admin-key/);
    });
  });
});

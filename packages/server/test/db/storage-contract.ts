import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { SqliteAdapter, sql } from 'kysely';
import { AdminKeys, AuditLog } from '../../src/admin/index.ts';
import { deleteExpiredRows, migrateToLatest, SchemaError } from '../../src/db/index.ts';
import * as orderedSpentChallenges from '../../src/db/migrations/0016-ordered-spent-challenges.ts';
import { Users } from '../../src/directory/index.ts';
import { createInProcessEventBus } from '../../src/events/index.ts';
import { HttpError } from '../../src/http/errors.ts';
import { Envelope, MasterKeyError, SecretDigests, SigningKeys } from '../../src/keys/index.ts';
import type { TestDatabase } from './open-test-database.ts';

const ARGON2 = { memory: 19_456, passes: 2, parallelism: 1 };

/**
 * The queries of the foundation, run against one real store. The same suite runs on SQLite
 * always and on PostgreSQL when PORTCULLIS_TEST_POSTGRES_URL is set.
 */
export function defineStorageContract(open: () => Promise<TestDatabase>): void {
  let t: TestDatabase;
  const masterKey = new Uint8Array(randomBytes(32));
  before(async () => {
    t = await open();
  });
  after(async () => t.dispose());
  const db = () => t.handle.db;

  test('migrations: a second run applies nothing; a schema newer than the code stops start-up', async () => {
    assert.deepEqual(await migrateToLatest(db()), []);
    await db()
      .insertInto('portcullis_migrations' as never)
      .values({ name: '9999-from-the-future', timestamp: new Date().toISOString() } as never)
      .execute();
    await assert.rejects(
      migrateToLatest(db()),
      (err: unknown) => err instanceof SchemaError && /newer than this version/.test(err.message),
    );
    await db()
      .deleteFrom('portcullis_migrations' as never)
      .where('name' as never, '=', '9999-from-the-future' as never)
      .execute();
    assert.deepEqual(await migrateToLatest(db()), []);
  });

  test('migration 0016: seals spent before it stay spent; (expires_at, tag) is the key', async () => {
    // The table back in 0015's shape with two spent seals, then 0016 once more.
    await db().schema.dropTable('attestation_spent_challenges').execute();
    await db()
      .schema.createTable('attestation_spent_challenges')
      .addColumn('tag', 'text', (c) => c.primaryKey())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db()
      .insertInto('attestation_spent_challenges')
      .values([
        { tag: 'seal-a', expires_at: 2_000 },
        { tag: 'seal-b', expires_at: 1_000 },
      ])
      .execute();
    await orderedSpentChallenges.up(db() as never);
    const rows = await db()
      .selectFrom('attestation_spent_challenges')
      .select(['expires_at', 'tag'])
      .orderBy('expires_at')
      .execute();
    assert.deepEqual(
      rows.map((r) => [Number(r.expires_at), r.tag]),
      [
        [1_000, 'seal-b'],
        [2_000, 'seal-a'],
      ],
    );
    const spend = (tag: string, expires_at: number) =>
      db()
        .insertInto('attestation_spent_challenges')
        .values({ tag, expires_at })
        .onConflict((oc) => oc.columns(['expires_at', 'tag']).doNothing())
        .returning('tag')
        .execute()
        .then((won) => won.map((r) => r.tag));
    assert.deepEqual(await spend('seal-a', 2_000), [], 'a seal spent before the upgrade is spent');
    assert.deepEqual(await spend('seal-c', 2_000), ['seal-c']);
    if (db().getExecutor().adapter instanceof SqliteAdapter) {
      const table = await sql<{ sql: string }>`select sql from sqlite_master where name = 'attestation_spent_challenges'`.execute(
        db(),
      );
      assert.match(table.rows[0]?.sql ?? '', /without rowid/i);
    }
    await db().deleteFrom('attestation_spent_challenges').execute();
  });

  test('housekeeping deletes expired rows in bounded batches, oldest first, letting other work run between them', async () => {
    const now = 1_000_000;
    const rows = (count: number, from: number) =>
      Array.from({ length: count }, (_, i) => ({ jti: `jti-${from + i}`, expires_at: from + i }));
    // 2,500 expired (one a millisecond up to `now`), 5 still live.
    for (let i = 0; i < 5; i++)
      await db()
        .insertInto('oauth_used_jtis')
        .values(rows(500, now - 2_499 + i * 500))
        .execute();
    await db()
      .insertInto('oauth_used_jtis')
      .values(rows(5, now + 1))
      .execute();
    let turns = 0;
    const tick = () => {
      turns++;
      if (sweeping) setImmediate(tick);
    };
    let sweeping = true;
    setImmediate(tick);
    const deleted = await deleteExpiredRows(db(), 'oauth_used_jtis', now, 1_000);
    sweeping = false;
    assert.equal(deleted, 2_500);
    const left = await db().selectFrom('oauth_used_jtis').select('expires_at').orderBy('expires_at').execute();
    assert.deepEqual(
      left.map((r) => Number(r.expires_at)),
      [now + 1, now + 2, now + 3, now + 4, now + 5],
    );
    // Three statements (1,000 + 1,000 + 500), with the event loop turning between them.
    assert.ok(turns >= 2, `the sweep let the event loop turn ${turns} times`);
    await db().deleteFrom('oauth_used_jtis').execute();
  });

  test('users: unique case-insensitively after NFKC; nothing half-written on conflict', async () => {
    const users = new Users(db(), ARGON2);
    const alice = await users.create({ username: 'Alice', password: 'correct horse', email: 'alice@example.com' });
    assert.equal(alice.username, 'Alice');
    for (const dup of ['alice', 'ALICE', 'ａｌｉｃｅ']) {
      await assert.rejects(users.create({ username: dup }), (err: unknown) => err instanceof HttpError && err.status === 409);
    }
    const all = await users.list();
    assert.equal(all.filter((u) => u.username.toLowerCase() === 'alice').length, 1);
    assert.equal((await users.get('aLiCe')).id, alice.id);
    assert.equal((await users.get(alice.id)).username, 'Alice');
    const row = await db().selectFrom('users').selectAll().where('id', '=', alice.id).executeTakeFirstOrThrow();
    assert.match(row.password_hash ?? '', /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(typeof row.created_at, 'number', 'timestamps come back as numbers on both dialects');
  });

  test('users: list is ordered and paged; delete removes', async () => {
    const users = new Users(db(), ARGON2);
    for (const name of ['carol', 'bob', 'dave']) await users.create({ username: name });
    const page = await users.list(2, 0);
    assert.deepEqual(
      page.map((u) => u.username),
      ['Alice', 'bob'],
    );
    assert.deepEqual(
      (await users.list(2, 2)).map((u) => u.username),
      ['carol', 'dave'],
    );
    await users.delete('dave');
    await assert.rejects(users.get('dave'), (err: unknown) => err instanceof HttpError && err.status === 404);
    await assert.rejects(users.delete('dave'), (err: unknown) => err instanceof HttpError && err.status === 404);
  });

  test('users: credentials, failed-login counter (concurrent), rehash on parameter change', async () => {
    const users = new Users(db(), ARGON2);
    assert.equal((await users.verifyCredentials('alice', 'correct horse'))?.username, 'Alice');
    assert.equal(await users.verifyCredentials('alice', 'wrong horse'), null);
    assert.equal(await users.verifyCredentials('nobody', 'correct horse'), null);
    await Promise.all(Array.from({ length: 5 }, () => users.verifyCredentials('alice', 'wrong')));
    const counted = await db()
      .selectFrom('users')
      .select(['failed_login_count', 'last_failed_login_at'])
      .where('username_key', '=', 'alice')
      .executeTakeFirstOrThrow();
    assert.equal(counted.failed_login_count, 6);
    assert.ok(counted.last_failed_login_at !== null);
    const stronger = new Users(db(), { ...ARGON2, passes: 3 });
    assert.ok(await stronger.verifyCredentials('alice', 'correct horse'));
    const after = await db()
      .selectFrom('users')
      .select(['password_hash', 'failed_login_count'])
      .where('username_key', '=', 'alice')
      .executeTakeFirstOrThrow();
    assert.match(after.password_hash ?? '', /t=3,p=1/);
    assert.equal(after.failed_login_count, 0);
    await stronger.setPassword('alice', 'battery staple');
    assert.equal(await stronger.verifyCredentials('alice', 'correct horse'), null);
    assert.ok(await stronger.verifyCredentials('alice', 'battery staple'));
  });

  test('envelope: seals and opens; a value moved to another purpose or a wrong master key fails', async () => {
    const envelope = await Envelope.open(db(), masterKey, 'test');
    const sealed = await envelope.seal('s3cret value', 'secret:a');
    assert.doesNotMatch(sealed, /s3cret/);
    assert.equal(await envelope.open(sealed, 'secret:a'), 's3cret value');
    await assert.rejects(envelope.open(sealed, 'secret:b'), MasterKeyError);
    const again = await Envelope.open(db(), masterKey, 'test');
    assert.equal(await again.open(sealed, 'secret:a'), 's3cret value', 'the data key persists');
    const keys = await db().selectFrom('data_keys').selectAll().execute();
    assert.equal(keys.length, 1);
    await assert.rejects(Envelope.open(db(), new Uint8Array(randomBytes(32)), 'PORTCULLIS_MASTER_KEY'), (err: unknown) => {
      return err instanceof MasterKeyError && /PORTCULLIS_MASTER_KEY is not the one/.test(err.message);
    });
  });

  test('signing keys: current and next per use; rotation from two nodes at once stays consistent', async () => {
    const envelope = await Envelope.open(db(), masterKey, 'test');
    const options = { envelope, alg: 'ES256' as const, maxTokenLifetimeMs: 3_600_000 };
    const a = await SigningKeys.open({ db: db(), bus: createInProcessEventBus(), ...options });
    const second = await t.reopen();
    const b = await SigningKeys.open({ db: second.db, bus: createInProcessEventBus(), ...options });
    try {
      const listed = await a.list();
      assert.equal(listed.length, 6);
      for (const use of ['token', 'attestation', 'pins'] as const) {
        assert.deepEqual(
          listed
            .filter((k) => k.use === use)
            .map((k) => k.state)
            .sort(),
          ['current', 'next'],
        );
      }
      const before = listed.find((k) => k.use === 'token' && k.state === 'next')!;
      const results = await Promise.allSettled([a.rotate('token'), b.rotate('token')]);
      assert.ok(results.some((r) => r.status === 'fulfilled'));
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof HttpError && r.reason.status === 409);
      const after = (await a.list()).filter((k) => k.use === 'token');
      assert.equal(after.filter((k) => k.state === 'current').length, 1);
      assert.equal(after.filter((k) => k.state === 'next').length, 1);
      const firstWinner = results.findIndex((r) => r.status === 'fulfilled');
      const won = results[firstWinner] as PromiseFulfilledResult<{ current: string }>;
      if (results.every((r) => r.status === 'fulfilled')) {
        assert.equal(after.filter((k) => k.state === 'retired').length, 2);
      } else {
        assert.equal(won.value.current, before.kid);
      }
      await a.reload();
      assert.equal(a.current('token').kid, after.find((k) => k.state === 'current')!.kid);
      await assert.rejects(
        db()
          .insertInto('signing_keys')
          .values({
            ...(await db()
              .selectFrom('signing_keys')
              .selectAll()
              .where('state', '=', 'current')
              .where('use', '=', 'pins')
              .executeTakeFirstOrThrow()),
            kid: 'dup',
          })
          .execute(),
        'a second current key for one use is refused by the store',
      );
    } finally {
      a.close();
      b.close();
      await second.close();
    }
  });

  test('admin keys: stored as digests, bootstrap once, revocation', async () => {
    const keys = new AdminKeys(db(), new SecretDigests(masterKey));
    const generated = await keys.ensureBootstrap(undefined);
    assert.match(generated ?? '', /^pck_[A-Za-z0-9_-]{43}$/);
    assert.equal(await keys.ensureBootstrap(undefined), null, 'generated on the first start only');
    assert.equal((await keys.authenticate(generated!))?.role, 'admin');
    const stored = await db().selectFrom('admin_keys').select('key_hash').execute();
    assert.ok(stored.every((r) => !r.key_hash.includes(generated!.slice(4))));
    const configured = randomBytes(32).toString('hex');
    await keys.ensureBootstrap(configured);
    assert.equal(await keys.authenticate(generated!), null, 'a configured key replaces the generated one');
    assert.equal((await keys.authenticate(configured))?.id, 'bootstrap');
    const { key, view } = await keys.create('auditor', 'ci');
    assert.equal((await keys.authenticate(key))?.role, 'auditor');
    await keys.revoke(view.id);
    assert.equal(await keys.authenticate(key), null);
    await assert.rejects(keys.revoke(view.id), (err: unknown) => err instanceof HttpError && err.status === 404);
    const other = new AdminKeys(db(), new SecretDigests(new Uint8Array(randomBytes(32))));
    assert.equal(await other.authenticate(configured), null, 'digests are keyed by the master key');
  });

  test('audit log: appended and listed newest first', async () => {
    const audit = new AuditLog(db());
    for (const [i, action] of ['a.one', 'a.two', 'a.three'].entries()) {
      await audit.record({ actor: 'k', action, target: `t${i}`, outcome: 'success', status: 200, request_id: `r${i}` });
      await new Promise((r) => setTimeout(r, 2));
    }
    const entries = await audit.list(2);
    assert.deepEqual(
      entries.map((e) => e.action),
      ['a.three', 'a.two'],
    );
    assert.equal(entries[0]?.target, 't2');
  });

  test('the store answers a ping', async () => {
    await t.handle.ping();
    const result = await sql<{ one: number }>`select 1 as one`.execute(db());
    assert.equal(Number(result.rows[0]?.one), 1);
  });
}

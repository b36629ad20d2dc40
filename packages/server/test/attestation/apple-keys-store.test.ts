import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { AppleKeys } from '../../src/attestation/apple-keys.ts';
import {
  openPostgresTestDatabase,
  openSqliteTestDatabase,
  POSTGRES_URL,
  SKIP_POSTGRES,
  type TestDatabase,
} from '../db/open-test-database.ts';

const publicKeyJwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
const key = (keyId: string) => ({
  keyId,
  appId: 'ABCDE12345.com.example.catalog',
  publicKeyJwk,
  environment: 'production' as const,
  jkt: 'j'.repeat(43),
});

/** The attested-key queries on one real store: the same suite on SQLite and, when set up, PostgreSQL. */
function defineAppleKeysContract(open: () => Promise<TestDatabase>): void {
  let t: TestDatabase;
  before(async () => {
    t = await open();
  });
  after(async () => t.dispose());

  test('a key is stored once, with counter 0, and read back as stored', async () => {
    const keys = new AppleKeys(t.handle.db);
    assert.equal(await keys.add(key('k-1')), true);
    assert.deepEqual(await keys.find('k-1'), { ...key('k-1'), signCount: 0 });
    assert.equal(await keys.add({ ...key('k-1'), jkt: 'x'.repeat(43) }), false, 'a second attestation of the key');
    assert.equal((await keys.find('k-1'))?.jkt, 'j'.repeat(43), 'the bound instance key never changes');
    assert.equal(await keys.find('k-unknown'), undefined);
  });

  test('the counter only grows, up to 2^32 - 1', async () => {
    const keys = new AppleKeys(t.handle.db);
    await keys.add(key('k-2'));
    assert.equal(await keys.advance('k-2', 1), true);
    assert.equal(await keys.advance('k-2', 1), false);
    assert.equal(await keys.advance('k-2', 0), false);
    assert.equal(await keys.advance('k-2', 0xffffffff), true);
    assert.equal((await keys.find('k-2'))?.signCount, 0xffffffff);
    assert.equal(await keys.advance('k-unknown', 5), false);
  });

  test('the same counter from two nodes at once: exactly one advances it', async () => {
    await new AppleKeys(t.handle.db).add(key('k-3'));
    const second = await t.reopen();
    try {
      const nodes = [new AppleKeys(t.handle.db), new AppleKeys(second.db)];
      for (let counter = 1; counter <= 20; counter++) {
        const won = await Promise.all([...nodes, ...nodes].map((keys) => keys.advance('k-3', counter)));
        assert.equal(won.filter(Boolean).length, 1, `counter ${counter}: ${won}`);
      }
      assert.equal((await nodes[1]?.find('k-3'))?.signCount, 20);
    } finally {
      await second.close();
    }
  });
}

describe('attested App Attest keys on SQLite', () => {
  defineAppleKeysContract(openSqliteTestDatabase);
});

describe('attested App Attest keys on PostgreSQL', { skip: SKIP_POSTGRES }, () => {
  defineAppleKeysContract(() => openPostgresTestDatabase(POSTGRES_URL as string));
});

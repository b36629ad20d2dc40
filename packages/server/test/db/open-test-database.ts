import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../../src/db/index.ts';

export interface TestDatabase {
  handle: DatabaseHandle;
  /**
   * A second handle on the same store, as a second node would hold. SQLite is owned by one
   * process (one serialized connection), so there the "second node" shares the first handle.
   */
  reopen(): Promise<DatabaseHandle>;
  dispose(): Promise<void>;
}

export const POSTGRES_URL = process.env.PORTCULLIS_TEST_POSTGRES_URL;
export const REDIS_URL = process.env.PORTCULLIS_TEST_REDIS_URL;
export const SKIP_POSTGRES = POSTGRES_URL
  ? false
  : 'PORTCULLIS_TEST_POSTGRES_URL is not set: the PostgreSQL suite was skipped (scripts/test-services.sh sets it up)';
export const SKIP_REDIS = REDIS_URL
  ? false
  : 'PORTCULLIS_TEST_REDIS_URL is not set: the Redis suite was skipped (scripts/test-services.sh sets it up)';

/** A migrated SQLite file in a fresh temporary directory. */
export async function openSqliteTestDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-db-'));
  const handle = await openDatabase({ dataDir: dir });
  await migrateToLatest(handle.db);
  return {
    handle,
    reopen: async () => ({ ...handle, close: async () => {} }),
    dispose: async () => {
      await handle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A migrated fresh schema in the test PostgreSQL database, dropped afterwards. */
export async function openPostgresTestDatabase(url: string): Promise<TestDatabase> {
  const schema = `portcullis_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const open = () => openDatabase({ databaseUrl: url, searchPath: schema });
  const handle = await open();
  await migrateToLatest(handle.db);
  return {
    handle,
    reopen: open,
    dispose: async () => {
      await handle.close();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`drop schema ${schema} cascade`);
      await client.end();
    },
  };
}

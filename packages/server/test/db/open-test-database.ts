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

export interface ScratchDatabase {
  /** The connection URL of the new database. */
  url: string;
  /** Drops it, retrying while PostgreSQL's own autovacuum worker is still connected to it. */
  drop(): Promise<void>;
}

/**
 * A new, empty PostgreSQL database next to the one `url` names, for tests that start whole
 * servers on it. Dropping it `WITH (FORCE)` cannot end an autovacuum worker (that takes a
 * superuser), and plain DROP refuses while one is connected, so `drop()` waits the worker out.
 */
export async function createScratchDatabase(url: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await withClient(url, (client) => client.query(`create database ${name}`));
  const scratch = new URL(url);
  scratch.pathname = `/${name}`;
  return {
    url: scratch.toString(),
    drop: () =>
      withClient(url, async (client) => {
        for (let attempt = 1; ; attempt++) {
          try {
            await client.query(`drop database if exists ${name} with (force)`);
            return;
          } catch (err) {
            // 42501: a backend of another role (autovacuum); 55006: still in use.
            const code = (err as { code?: string }).code;
            if (attempt >= 50 || (code !== '42501' && code !== '55006')) throw err;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      }),
  };
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

import type { Kysely } from 'kysely';
import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration';
import type { Database } from './database.ts';
import * as foundation from './migrations/0001-foundation.ts';
import * as oauth from './migrations/0002-oauth.ts';
import * as authorizationCode from './migrations/0003-authorization-code.ts';
import * as registration from './migrations/0004-registration.ts';
import * as dpop from './migrations/0005-dpop.ts';
import * as par from './migrations/0006-par.ts';
import * as mtls from './migrations/0007-mtls.ts';
import * as attestation from './migrations/0008-attestation.ts';
import * as secrets from './migrations/0009-secrets.ts';
import * as pinning from './migrations/0010-pinning.ts';
import * as gateway from './migrations/0011-gateway.ts';
import * as appleKeys from './migrations/0012-apple-keys.ts';
import * as serverPin from './migrations/0013-server-pin.ts';
import * as deviceLookups from './migrations/0014-device-lookups.ts';
import * as statelessChallenges from './migrations/0015-stateless-challenges.ts';
import * as orderedSpentChallenges from './migrations/0016-ordered-spent-challenges.ts';
import * as webOrigins from './migrations/0017-web-origins.ts';
import * as expiryIndexes from './migrations/0018-expiry-indexes.ts';

/** The ordered list of migrations this code knows. Append only. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-foundation': foundation,
  '0002-oauth': oauth,
  '0003-authorization-code': authorizationCode,
  '0004-registration': registration,
  '0005-dpop': dpop,
  '0006-par': par,
  '0007-mtls': mtls,
  '0008-attestation': attestation,
  '0009-secrets': secrets,
  '0010-pinning': pinning,
  '0011-gateway': gateway,
  '0012-apple-keys': appleKeys,
  '0013-server-pin': serverPin,
  '0014-device-lookups': deviceLookups,
  '0015-stateless-challenges': statelessChallenges,
  '0016-ordered-spent-challenges': orderedSpentChallenges,
  '0017-web-origins': webOrigins,
  '0018-expiry-indexes': expiryIndexes,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

export class SchemaError extends Error {
  override name = 'SchemaError';
}

/**
 * Brings the schema up to date. Kysely runs the pending migrations in one transaction on both
 * dialects (transactional DDL) under its migration lock, so concurrent nodes cannot both apply them.
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({
    db: db as unknown as Kysely<unknown>,
    provider,
    migrationTableName: 'portcullis_migrations',
    migrationLockTableName: 'portcullis_migrations_lock',
  });
  const known = new Set(Object.keys(MIGRATIONS));
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    // Connection failures keep their driver code so start-up can name the setting to check.
    if (typeof (error as { code?: unknown }).code === 'string') throw error;
    const message = error instanceof Error ? error.message : String(error);
    const missing = /previously executed migration (\S+) is missing/.exec(message);
    if (missing) {
      throw new SchemaError(
        `the database schema is newer than this version of Portcullis knows (it has migration ${missing[1]}, this code knows up to ${[...known].at(-1)}); run a newer Portcullis`,
      );
    }
    throw new SchemaError(`database migration failed: ${message}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

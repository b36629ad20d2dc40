import type { Kysely } from 'kysely';

/**
 * An index on `expires_at` for every table housekeeping sweeps, so a sweep reads only the expired
 * rows, in expiry order, a batch at a time (delete-expired.ts) instead of scanning the table.
 * attestation_spent_challenges is keyed by (expires_at, tag) already (0016).
 */
const TABLES = [
  'oauth_access_tokens',
  'oauth_revocations',
  'oauth_used_jtis',
  'oauth_codes',
  'oauth_interactions',
  'oauth_sessions',
  'oauth_par_requests',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of TABLES) await db.schema.createIndex(`${table}_expires_at`).on(table).column('expires_at').execute();
}

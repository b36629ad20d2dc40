import type { Kysely } from 'kysely';

/**
 * Attestation challenges are sealed, not stored (attestation/challenges.ts): issuing one writes
 * nothing, and spending one records its seal until it would have expired. Challenges outstanding
 * at the upgrade were never sealed and fail as `nonce_unknown`; they lived a minute at most.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('attestation_challenges').execute();
  await db.schema
    .createTable('attestation_spent_challenges')
    .addColumn('tag', 'text', (c) => c.primaryKey())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
}

import type { Kysely } from 'kysely';

// RFC 9449 §5: a refresh token issued to a public client with a DPoP proof is bound to that key.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('oauth_refresh_tokens').addColumn('dpop_jkt', 'text').execute();
  // RFC 9449 §10: an authorization code bound to a DPoP key with dpop_jkt.
  await db.schema.alterTable('oauth_codes').addColumn('dpop_jkt', 'text').execute();
}

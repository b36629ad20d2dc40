import type { Kysely } from 'kysely';

/** Dynamic client registration (RFC 7591) and its management protocol (RFC 7592). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('oauth_initial_access_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('max_uses', 'integer', (c) => c.notNull())
    // The API scopes (a JSON array) a client registered with this token may have (RFC 7591 §2).
    .addColumn('scopes', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('uses', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema
    .createTable('oauth_registrations')
    .addColumn('client_id', 'text', (c) => c.primaryKey().references('oauth_clients.client_id').onDelete('cascade'))
    .addColumn('registration_token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('initial_access_token_id', 'text', (c) => c.references('oauth_initial_access_tokens.id').onDelete('set null'))
    // The token's scopes, copied at registration: RFC 7592 updates keep to them after it is gone.
    .addColumn('scopes_allowed', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}

import type { Kysely } from 'kysely';

/** The server's own TLS pin as last served, so a new TLS key gives the pin set a new version. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('pin_set').addColumn('server_pin', 'text').execute();
}

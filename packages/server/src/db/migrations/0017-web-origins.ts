import type { Kysely } from 'kysely';

/** The web origins whose pages may call a client's OAuth endpoints from a browser (CORS); none for existing clients. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('oauth_clients')
    .addColumn('web_origins', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
}

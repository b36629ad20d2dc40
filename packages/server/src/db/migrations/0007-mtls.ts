import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('oauth_clients').addColumn('tls_client_auth_subject_dn', 'text').execute();
  await db.schema
    .alterTable('oauth_clients')
    .addColumn('resources', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
  await db.schema
    .alterTable('oauth_clients')
    .addColumn('attestation_app_ids', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
}

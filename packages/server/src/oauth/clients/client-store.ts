import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Database } from '../../db/index.ts';
import type { OAuthTables } from '../tables.ts';

export type ClientRow = Selectable<OAuthTables['oauth_clients']>;

export async function insertClient(db: Kysely<Database>, row: Insertable<OAuthTables['oauth_clients']>): Promise<void> {
  await db.insertInto('oauth_clients').values(row).execute();
}

export function listClientRows(db: Kysely<Database>): Promise<ClientRow[]> {
  return db.selectFrom('oauth_clients').selectAll().orderBy('created_at').orderBy('client_id').execute();
}

export function findClientRow(db: Kysely<Database>, clientId: string): Promise<ClientRow | undefined> {
  return db.selectFrom('oauth_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
}

export async function updateClientRow(
  db: Kysely<Database>,
  clientId: string,
  changes: Updateable<OAuthTables['oauth_clients']>,
): Promise<boolean> {
  const result = await db.updateTable('oauth_clients').set(changes).where('client_id', '=', clientId).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteClientRow(db: Kysely<Database>, clientId: string): Promise<boolean> {
  const result = await db.deleteFrom('oauth_clients').where('client_id', '=', clientId).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

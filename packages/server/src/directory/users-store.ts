import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Database } from '../db/index.ts';
import type { DirectoryTables } from './tables.ts';

export type UserRow = Selectable<DirectoryTables['users']>;

export async function insertUser(db: Kysely<Database>, row: Insertable<DirectoryTables['users']>): Promise<void> {
  await db.insertInto('users').values(row).execute();
}

export function findUserByKey(db: Kysely<Database>, usernameKey: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('username_key', '=', usernameKey).executeTakeFirst();
}

export function findUserById(db: Kysely<Database>, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listUsers(db: Kysely<Database>, limit: number, offset: number): Promise<UserRow[]> {
  return db.selectFrom('users').selectAll().orderBy('username_key').limit(limit).offset(offset).execute();
}

export async function updateUser(
  db: Kysely<Database>,
  id: string,
  changes: Updateable<DirectoryTables['users']>,
): Promise<boolean> {
  const result = await db.updateTable('users').set(changes).where('id', '=', id).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteUser(db: Kysely<Database>, id: string): Promise<boolean> {
  const result = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** Counts a failed login in one statement, so concurrent failures are all counted. */
export async function recordFailedLogin(db: Kysely<Database>, id: string, at: number): Promise<void> {
  await db
    .updateTable('users')
    .set((eb) => ({ failed_login_count: eb('failed_login_count', '+', 1), last_failed_login_at: at }))
    .where('id', '=', id)
    .execute();
}

import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../db/index.ts';
import type { AdminTables } from './tables.ts';

export type AdminKeyRow = Selectable<AdminTables['admin_keys']>;

export async function insertAdminKey(db: Kysely<Database>, row: AdminKeyRow): Promise<void> {
  await db.insertInto('admin_keys').values(row).execute();
}

export function findAdminKeyByHash(db: Kysely<Database>, keyHash: string): Promise<AdminKeyRow | undefined> {
  return db.selectFrom('admin_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
}

export function findAdminKeyById(db: Kysely<Database>, id: string): Promise<AdminKeyRow | undefined> {
  return db.selectFrom('admin_keys').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listAdminKeys(db: Kysely<Database>): Promise<AdminKeyRow[]> {
  return db.selectFrom('admin_keys').selectAll().orderBy('created_at').orderBy('id').execute();
}

export async function revokeAdminKey(db: Kysely<Database>, id: string, at: number): Promise<boolean> {
  const result = await db
    .updateTable('admin_keys')
    .set({ revoked_at: at })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function replaceBootstrapHash(db: Kysely<Database>, id: string, keyHash: string, at: number): Promise<void> {
  await db
    .updateTable('admin_keys')
    .set({ key_hash: keyHash, revoked_at: null, created_at: at, last_used_at: null })
    .where('id', '=', id)
    .execute();
}

export async function touchAdminKey(db: Kysely<Database>, id: string, at: number): Promise<void> {
  await db.updateTable('admin_keys').set({ last_used_at: at }).where('id', '=', id).execute();
}

import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../db/index.ts';
import type { KeysTables } from './tables.ts';

export type SigningKeyRow = Selectable<KeysTables['signing_keys']>;

export function listSigningKeys(db: Kysely<Database>): Promise<SigningKeyRow[]> {
  return db.selectFrom('signing_keys').selectAll().orderBy('use').orderBy('created_at').orderBy('kid').execute();
}

export async function insertSigningKey(db: Kysely<Database>, row: SigningKeyRow): Promise<void> {
  await db.insertInto('signing_keys').values(row).execute();
}

/**
 * Moves one key from `from` to `to` only if it is still in `from`: a second node rotating at the
 * same moment changes no row and learns it lost the race.
 */
export async function moveSigningKey(
  db: Kysely<Database>,
  kid: string,
  from: string,
  to: string,
  times: Partial<Pick<SigningKeyRow, 'activated_at' | 'retired_at' | 'published_until'>>,
): Promise<boolean> {
  const result = await db
    .updateTable('signing_keys')
    .set({ state: to, ...times })
    .where('kid', '=', kid)
    .where('state', '=', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Retired keys past their publication window: every token they signed has expired. */
export async function deleteExpiredSigningKeys(db: Kysely<Database>, now: number): Promise<void> {
  await db.deleteFrom('signing_keys').where('state', '=', 'retired').where('published_until', '<', now).execute();
}

import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../db/index.ts';
import type { RegistrationTables } from './tables.ts';

type Db = Kysely<Database>;
export type InitialAccessTokenRow = Selectable<RegistrationTables['oauth_initial_access_tokens']>;
export type RegistrationRow = Selectable<RegistrationTables['oauth_registrations']>;

const tables = (db: Db) => db.withTables<RegistrationTables>();

/** A JSON array of scopes, as this module stores it (`scopes`, `scopes_allowed`). */
export function scopeList(json: string): string[] {
  const value: unknown = JSON.parse(json);
  if (!Array.isArray(value) || !value.every((s): s is string => typeof s === 'string'))
    throw new Error('a stored scope list is not a JSON array of strings');
  return value;
}

export async function insertInitialAccessToken(db: Db, row: InitialAccessTokenRow): Promise<void> {
  await tables(db).insertInto('oauth_initial_access_tokens').values(row).execute();
}

export function listInitialAccessTokens(db: Db): Promise<InitialAccessTokenRow[]> {
  return tables(db).selectFrom('oauth_initial_access_tokens').selectAll().orderBy('created_at').orderBy('id').execute();
}

export function findInitialAccessTokenByHash(db: Db, tokenHash: string): Promise<InitialAccessTokenRow | undefined> {
  return tables(db).selectFrom('oauth_initial_access_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

export function findInitialAccessTokenById(db: Db, id: string): Promise<InitialAccessTokenRow | undefined> {
  return tables(db).selectFrom('oauth_initial_access_tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Takes one use, in one statement, so concurrent registrations cannot exceed `max_uses`. */
export async function takeInitialAccessTokenUse(db: Db, id: string, now: number): Promise<boolean> {
  const result = await tables(db)
    .updateTable('oauth_initial_access_tokens')
    .set((eb) => ({ uses: eb('uses', '+', 1) }))
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .where((eb) => eb('uses', '<', eb.ref('max_uses')))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function giveBackInitialAccessTokenUse(db: Db, id: string): Promise<void> {
  await tables(db)
    .updateTable('oauth_initial_access_tokens')
    .set((eb) => ({ uses: eb('uses', '-', 1) }))
    .where('id', '=', id)
    .where('uses', '>', 0)
    .execute();
}

export async function revokeInitialAccessToken(db: Db, id: string, at: number): Promise<void> {
  await tables(db)
    .updateTable('oauth_initial_access_tokens')
    .set({ revoked_at: at })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function insertRegistration(db: Db, row: RegistrationRow): Promise<void> {
  await tables(db).insertInto('oauth_registrations').values(row).execute();
}

export function findRegistrationByTokenHash(db: Db, tokenHash: string): Promise<RegistrationRow | undefined> {
  return tables(db)
    .selectFrom('oauth_registrations')
    .selectAll()
    .where('registration_token_hash', '=', tokenHash)
    .executeTakeFirst();
}

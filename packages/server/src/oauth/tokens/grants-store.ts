import type { Insertable, Kysely, Selectable } from 'kysely';
import { type Database, deleteExpiredRows } from '../../db/index.ts';
import type { OAuthTables } from '../tables.ts';

export type GrantRow = Selectable<OAuthTables['oauth_grants']>;
export type RefreshTokenRow = Selectable<OAuthTables['oauth_refresh_tokens']>;

export async function insertGrant(db: Kysely<Database>, row: Insertable<OAuthTables['oauth_grants']>): Promise<void> {
  await db.insertInto('oauth_grants').values(row).execute();
}

export function findGrant(db: Kysely<Database>, id: string): Promise<GrantRow | undefined> {
  return db.selectFrom('oauth_grants').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertRefreshToken(
  db: Kysely<Database>,
  row: Insertable<OAuthTables['oauth_refresh_tokens']>,
): Promise<void> {
  await db.insertInto('oauth_refresh_tokens').values(row).execute();
}

export function findRefreshToken(db: Kysely<Database>, tokenHash: string): Promise<RefreshTokenRow | undefined> {
  return db.selectFrom('oauth_refresh_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** Marks a refresh token used only if nobody used it first: two racing refreshes cannot both win. */
export async function markRefreshTokenUsed(db: Kysely<Database>, tokenHash: string, at: number): Promise<boolean> {
  const result = await db
    .updateTable('oauth_refresh_tokens')
    .set({ used_at: at })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function touchRefreshToken(db: Kysely<Database>, tokenHash: string, expiresAt: number): Promise<void> {
  await db.updateTable('oauth_refresh_tokens').set({ expires_at: expiresAt }).where('token_hash', '=', tokenHash).execute();
}

/**
 * Whether the grant is still unrevoked, read with a row lock: a no-op UPDATE that waits for a
 * concurrent revocation to commit (PostgreSQL READ COMMITTED re-checks its WHERE after the wait),
 * so a token recorded just before cannot slip past the revocation's list of live tokens.
 */
export async function grantStillActive(db: Kysely<Database>, grantId: string): Promise<boolean> {
  const result = await db
    .updateTable('oauth_grants')
    .set({ revoked_at: null })
    .where('id', '=', grantId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function insertAccessTokenRecord(
  db: Kysely<Database>,
  jti: string,
  grantId: string,
  expiresAt: number,
): Promise<void> {
  await db.insertInto('oauth_access_tokens').values({ jti, grant_id: grantId, expires_at: expiresAt }).execute();
}

/**
 * Revokes a grant: marks it, drops its refresh tokens and turns its live access tokens into
 * revocation entries. Returns the revoked jtis with their expiry.
 */
export async function revokeGrantRows(
  db: Kysely<Database>,
  grantId: string,
  at: number,
): Promise<{ jti: string; expires_at: number }[]> {
  return db.transaction().execute(async (trx) => {
    await trx
      .updateTable('oauth_grants')
      .set({ revoked_at: at })
      .where('id', '=', grantId)
      .where('revoked_at', 'is', null)
      .execute();
    await trx.deleteFrom('oauth_refresh_tokens').where('grant_id', '=', grantId).execute();
    const live = await trx
      .selectFrom('oauth_access_tokens')
      .select(['jti', 'expires_at'])
      .where('grant_id', '=', grantId)
      .where('expires_at', '>', at)
      .execute();
    for (const token of live) {
      await trx
        .insertInto('oauth_revocations')
        .values({ jti: token.jti, revoked_at: at, expires_at: token.expires_at })
        .onConflict((oc) => oc.column('jti').doNothing())
        .execute();
    }
    await trx.deleteFrom('oauth_access_tokens').where('grant_id', '=', grantId).execute();
    return live;
  });
}

export async function insertRevocation(db: Kysely<Database>, jti: string, at: number, expiresAt: number): Promise<void> {
  await db
    .insertInto('oauth_revocations')
    .values({ jti, revoked_at: at, expires_at: expiresAt })
    .onConflict((oc) => oc.column('jti').doNothing())
    .execute();
}

export function listLiveRevocations(db: Kysely<Database>, now: number): Promise<{ jti: string; expires_at: number }[]> {
  return db.selectFrom('oauth_revocations').select(['jti', 'expires_at']).where('expires_at', '>', now).execute();
}

/** Housekeeping: rows whose tokens have expired carry no information any more (a batch at a time). */
export async function deleteExpired(db: Kysely<Database>, now: number): Promise<void> {
  await deleteExpiredRows(db, 'oauth_revocations', now);
  await deleteExpiredRows(db, 'oauth_access_tokens', now);
  await deleteExpiredRows(db, 'oauth_used_jtis', now);
  await deleteExpiredRows(db, 'oauth_codes', now - 3600_000);
  await deleteExpiredRows(db, 'oauth_interactions', now);
  await deleteExpiredRows(db, 'oauth_sessions', now);
  await deleteExpiredRows(db, 'oauth_par_requests', now);
}

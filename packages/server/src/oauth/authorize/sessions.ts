import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../db/index.ts';
import type { SecretDigests } from '../../keys/index.ts';
import type { OAuthTables } from '../tables.ts';

export type SessionRow = Selectable<OAuthTables['oauth_sessions']>;

export const SESSION_COOKIE = 'pc_session';
export const SESSION_LIFETIME_MS = 8 * 3600_000;

/** Login sessions of browsers at this server. The cookie carries 256 random bits; we keep a digest. */
export class Sessions {
  readonly #db: Kysely<Database>;
  readonly #digests: SecretDigests;

  constructor(db: Kysely<Database>, digests: SecretDigests) {
    this.#db = db;
    this.#digests = digests;
  }

  async find(cookie: string | undefined): Promise<SessionRow | null> {
    if (!cookie) return null;
    const row = await this.#db
      .selectFrom('oauth_sessions')
      .selectAll()
      .where('id_hash', '=', this.#digests.digest('session', cookie))
      .executeTakeFirst();
    return row && row.expires_at > Date.now() ? row : null;
  }

  async create(userId: string): Promise<{ cookie: string; row: SessionRow }> {
    const cookie = randomBytes(32).toString('base64url');
    const now = Date.now();
    const row: SessionRow = {
      id_hash: this.#digests.digest('session', cookie),
      sid: randomBytes(16).toString('base64url'),
      user_id: userId,
      auth_time: now,
      created_at: now,
      expires_at: now + SESSION_LIFETIME_MS,
    };
    await this.#db.insertInto('oauth_sessions').values(row).execute();
    return { cookie, row };
  }

  async end(cookie: string): Promise<SessionRow | null> {
    const row = await this.find(cookie);
    if (row) await this.#db.deleteFrom('oauth_sessions').where('id_hash', '=', row.id_hash).execute();
    return row;
  }
}

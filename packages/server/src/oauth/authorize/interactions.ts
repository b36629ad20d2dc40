import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../db/index.ts';
import type { SecretDigests } from '../../keys/index.ts';
import type { OAuthTables } from '../tables.ts';
import type { AuthorizationRequest } from './authorization-context.ts';

export type InteractionRow = Selectable<OAuthTables['oauth_interactions']>;

export const INTERACTION_COOKIE = 'pc_interaction';
export const INTERACTION_LIFETIME_MS = 10 * 60_000;

/**
 * Authorization requests paused for the login or consent page. Each is bound to the browser that
 * started it (a cookie whose digest we keep) and carries its own anti-CSRF token.
 */
export class Interactions {
  readonly #db: Kysely<Database>;
  readonly #digests: SecretDigests;

  constructor(db: Kysely<Database>, digests: SecretDigests) {
    this.#db = db;
    this.#digests = digests;
  }

  async start(
    request: AuthorizationRequest,
    browser: string,
    login: { userId: string; sid: string; authTime: number } | null,
  ): Promise<InteractionRow> {
    const now = Date.now();
    const row: InteractionRow = {
      id: randomBytes(16).toString('base64url'),
      browser_hash: this.#digests.digest('browser', browser),
      csrf: randomBytes(24).toString('base64url'),
      client_id: request.clientId,
      request: JSON.stringify(request),
      user_id: login?.userId ?? null,
      sid: login?.sid ?? null,
      auth_time: login?.authTime ?? null,
      created_at: now,
      expires_at: now + INTERACTION_LIFETIME_MS,
    };
    await this.#db.insertInto('oauth_interactions').values(row).execute();
    return row;
  }

  /** The live interaction with this id, only for the browser that started it. */
  async find(id: string, browser: string | undefined): Promise<InteractionRow | null> {
    if (!browser) return null;
    const row = await this.#db.selectFrom('oauth_interactions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || row.expires_at <= Date.now()) return null;
    return this.#digests.matches('browser', browser, row.browser_hash) ? row : null;
  }

  async loggedIn(id: string, login: { userId: string; sid: string; authTime: number }): Promise<void> {
    await this.#db
      .updateTable('oauth_interactions')
      .set({ user_id: login.userId, sid: login.sid, auth_time: login.authTime })
      .where('id', '=', id)
      .execute();
  }

  /** Single use: a finished interaction cannot be replayed. */
  async finish(id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('oauth_interactions').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}

export function requestOf(row: InteractionRow): AuthorizationRequest {
  return JSON.parse(row.request) as AuthorizationRequest;
}

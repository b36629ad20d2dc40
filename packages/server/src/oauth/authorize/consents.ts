import type { Kysely } from 'kysely';
import type { Database } from '../../db/index.ts';

/** What each user allowed each client; a request within it needs no consent page. */
export class Consents {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** The scopes the user allowed this client, or null when never asked. */
  async #granted(userId: string, clientId: string): Promise<string[] | null> {
    const row = await this.#db
      .selectFrom('oauth_consents')
      .select('scope')
      .where('user_id', '=', userId)
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return row ? row.scope.split(' ').filter(Boolean) : null;
  }

  async covers(userId: string, clientId: string, scope: string): Promise<boolean> {
    const allowed = await this.#granted(userId, clientId);
    if (!allowed) return false;
    const granted = new Set(allowed);
    return scope
      .split(' ')
      .filter(Boolean)
      .every((s) => granted.has(s));
  }

  /** Adds to what the user allowed (consent widens; revoke removes it all). */
  async grant(userId: string, clientId: string, scope: string): Promise<void> {
    const before = (await this.#granted(userId, clientId)) ?? [];
    const merged = [...new Set([...before, ...scope.split(' ')].filter(Boolean))].join(' ');
    await this.#db
      .insertInto('oauth_consents')
      .values({ user_id: userId, client_id: clientId, scope: merged, created_at: Date.now() })
      .onConflict((oc) => oc.columns(['user_id', 'client_id']).doUpdateSet({ scope: merged }))
      .execute();
  }

  async list(userId: string): Promise<{ client_id: string; scope: string; created_at: number }[]> {
    return this.#db
      .selectFrom('oauth_consents')
      .select(['client_id', 'scope', 'created_at'])
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .execute();
  }

  async revoke(userId: string, clientId: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('oauth_consents')
      .where('user_id', '=', userId)
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}

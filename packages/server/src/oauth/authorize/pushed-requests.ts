import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/index.ts';
import type { SecretDigests } from '../../keys/index.ts';
import type { FormBody } from '../token/form.ts';

export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';
/** RFC 9126 §2.2: short-lived; a minute is plenty for a browser redirect. */
export const PUSHED_REQUEST_LIFETIME_S = 60;

/** Pushed authorization requests: parameters sent over the back channel, referenced by a one-time request_uri. */
export class PushedRequests {
  readonly #db: Kysely<Database>;
  readonly #digests: SecretDigests;

  constructor(db: Kysely<Database>, digests: SecretDigests) {
    this.#db = db;
    this.#digests = digests;
  }

  async push(clientId: string, params: FormBody): Promise<string> {
    const requestUri = `${REQUEST_URI_PREFIX}${randomBytes(32).toString('base64url')}`;
    await this.#db
      .insertInto('oauth_par_requests')
      .values({
        request_uri_hash: this.#digests.digest('par', requestUri),
        client_id: clientId,
        params: JSON.stringify(params),
        expires_at: Date.now() + PUSHED_REQUEST_LIFETIME_S * 1000,
      })
      .execute();
    return requestUri;
  }

  /** The pushed parameters, once: the row is deleted as it is read (RFC 9126 §4 one-time use). */
  async take(requestUri: string, clientId: string): Promise<FormBody | null> {
    const hash = this.#digests.digest('par', requestUri);
    const row = await this.#db
      .selectFrom('oauth_par_requests')
      .selectAll()
      .where('request_uri_hash', '=', hash)
      .executeTakeFirst();
    if (!row) return null;
    const deleted = await this.#db.deleteFrom('oauth_par_requests').where('request_uri_hash', '=', hash).executeTakeFirst();
    if (Number(deleted.numDeletedRows) !== 1 || row.client_id !== clientId || row.expires_at <= Date.now()) return null;
    return JSON.parse(row.params) as FormBody;
  }
}

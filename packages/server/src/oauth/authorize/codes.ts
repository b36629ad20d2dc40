import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../db/index.ts';
import { OAuthError } from '../../http/errors.ts';
import type { SecretDigests } from '../../keys/index.ts';
import type { OAuthTables } from '../tables.ts';
import type { AuthorizationRequest } from './authorization-context.ts';

export type CodeRow = Selectable<OAuthTables['oauth_codes']>;

/** RFC 6749 §4.1.2 recommends at most ten minutes; we allow one. */
export const CODE_LIFETIME_MS = 60_000;

export interface CodeOwner {
  userId: string;
  sid: string | null;
  authTime: number;
}

const invalidGrant = (d: string) => new OAuthError('invalid_grant', d);

/** Authorization codes: 256 random bits, stored as digests, single use, bound to client, redirect URI and PKCE challenge. */
export class Codes {
  readonly #db: Kysely<Database>;
  readonly #digests: SecretDigests;

  constructor(db: Kysely<Database>, digests: SecretDigests) {
    this.#db = db;
    this.#digests = digests;
  }

  async issue(request: AuthorizationRequest, owner: CodeOwner): Promise<string> {
    const code = randomBytes(32).toString('base64url');
    const now = Date.now();
    await this.#db
      .insertInto('oauth_codes')
      .values({
        code_hash: this.#digests.digest('authorization-code', code),
        client_id: request.clientId,
        user_id: owner.userId,
        redirect_uri: request.redirectUri,
        redirect_uri_given: request.redirectUriGiven ? 1 : 0,
        scope: request.scope,
        nonce: request.nonce ?? null,
        code_challenge: request.codeChallenge ?? null,
        dpop_jkt: request.dpopJkt ?? null,
        sid: owner.sid,
        auth_time: owner.authTime,
        created_at: now,
        expires_at: now + CODE_LIFETIME_MS,
        used_at: null,
        grant_id: null,
      })
      .execute();
    return code;
  }

  /**
   * Redeems a code once. A second redemption finds `used_at` set; the caller then revokes what
   * the first one issued (RFC 6749 §4.1.2, RFC 9700 §4.5).
   */
  async redeem(
    code: string,
    clientId: string,
    redirectUri: string | undefined,
    verifier: string | undefined,
  ): Promise<{ row: CodeRow; replay: boolean }> {
    const hash = this.#digests.digest('authorization-code', code);
    const row = await this.#db.selectFrom('oauth_codes').selectAll().where('code_hash', '=', hash).executeTakeFirst();
    if (!row) throw invalidGrant('the authorization code is invalid or expired');
    // Checked before the code is spent: another client holding an intercepted code cannot burn
    // it, nor trigger the replay revocation of the rightful client's grant.
    if (row.client_id !== clientId) throw invalidGrant('the authorization code was issued to another client');
    if (row.used_at !== null) return { row, replay: true };
    const claimed = await this.#db
      .updateTable('oauth_codes')
      .set({ used_at: Date.now() })
      .where('code_hash', '=', hash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return { row, replay: true };
    if (row.expires_at <= Date.now()) throw invalidGrant('the authorization code is invalid or expired');
    // RFC 6749 §4.1.3: the same redirect_uri as in the authorization request.
    if ((row.redirect_uri_given === 1 || redirectUri !== undefined) && redirectUri !== row.redirect_uri) {
      throw invalidGrant('redirect_uri does not match the authorization request');
    }
    checkVerifier(row.code_challenge, verifier);
    return { row, replay: false };
  }

  async attachGrant(row: CodeRow, grantId: string): Promise<void> {
    await this.#db.updateTable('oauth_codes').set({ grant_id: grantId }).where('code_hash', '=', row.code_hash).execute();
  }

  /** The grant a code's first redemption created (for a replay: what to revoke). */
  async grantOf(row: CodeRow): Promise<string | null> {
    const fresh = await this.#db
      .selectFrom('oauth_codes')
      .select('grant_id')
      .where('code_hash', '=', row.code_hash)
      .executeTakeFirst();
    return fresh?.grant_id ?? null;
  }
}

// RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) == code_challenge, compared in constant time.
// A verifier without a challenge is a downgrade attempt (RFC 9700 §2.1.1) and fails too.
function checkVerifier(challenge: string | null, verifier: string | undefined): void {
  if (challenge === null) {
    if (verifier !== undefined) throw invalidGrant('code_verifier was sent but the authorization request had no code_challenge');
    return;
  }
  if (verifier === undefined) throw invalidGrant('code_verifier is required');
  if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) throw invalidGrant('code_verifier is malformed');
  const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'));
  const expected = Buffer.from(challenge);
  if (computed.length !== expected.length || !timingSafeEqual(computed, expected))
    throw invalidGrant('code_verifier does not match the code_challenge');
}

import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/index.ts';
import { OAuthError } from '../../http/errors.ts';
import type { SecretDigests } from '../../keys/index.ts';
import type { Client } from '../clients/client.ts';
import * as store from './grants-store.ts';
import type { Revocations } from './revocations.ts';

export interface GrantInput {
  client: Client;
  userId: string | null;
  scope: string;
  authTime: number | null;
}

export interface RefreshedGrant {
  grant: store.GrantRow;
  scope: string;
  /** The refresh token to hand back: a new one when rotated, else the one presented. */
  refreshToken: string;
}

const invalidGrant = (description: string) => new OAuthError('invalid_grant', description);

/**
 * Grants and their refresh tokens. Refresh tokens are opaque, 256-bit, stored as keyed digests.
 * Public clients get a new one on every use; presenting a used one again is treated as theft and
 * revokes the whole grant with every token it produced (RFC 9700 §4.14.2, RFC 6749 §10.4).
 */
export class Grants {
  readonly #db: Kysely<Database>;
  readonly #digests: SecretDigests;
  readonly #revocations: Revocations;

  constructor(db: Kysely<Database>, digests: SecretDigests, revocations: Revocations) {
    this.#db = db;
    this.#digests = digests;
    this.#revocations = revocations;
  }

  async create(input: GrantInput): Promise<store.GrantRow> {
    const now = Date.now();
    const row: store.GrantRow = {
      id: randomUUID(),
      client_id: input.client.clientId,
      user_id: input.userId,
      scope: input.scope,
      auth_time: input.authTime,
      device_id: null,
      created_at: now,
      expires_at: now + input.client.refreshTokenLifetime * 1000,
      revoked_at: null,
    };
    await store.insertGrant(this.#db, row);
    return row;
  }

  /** `dpopJkt`: the key of the request's DPoP proof; RFC 9449 §5 binds only public clients' tokens to it. */
  async issueRefreshToken(grant: store.GrantRow, client: Client, scope: string, dpopJkt?: string): Promise<string> {
    const token = `pcr_${randomBytes(32).toString('base64url')}`;
    const now = Date.now();
    await store.insertRefreshToken(this.#db, {
      token_hash: this.#digests.digest('refresh-token', token),
      grant_id: grant.id,
      client_id: client.clientId,
      scope,
      created_at: now,
      expires_at: Math.min(now + client.refreshTokenIdleLifetime * 1000, grant.expires_at),
      used_at: null,
      dpop_jkt: client.type === 'public' ? (dpopJkt ?? null) : null,
    });
    return token;
  }

  /**
   * Remembers an access token under its grant so that revoking the grant revokes it too. If the
   * grant was revoked meanwhile (a racing refresh detected reuse), the token is revoked at once
   * and the request fails: a revoked grant never yields a live token.
   */
  async recordAccessToken(grant: store.GrantRow, jti: string, expiresAt: number): Promise<void> {
    await store.insertAccessTokenRecord(this.#db, jti, grant.id, expiresAt);
    if (!(await store.grantStillActive(this.#db, grant.id))) {
      await this.#revocations.revokeAccessToken(jti, expiresAt);
      throw invalidGrant('the grant was revoked');
    }
  }

  /** Revokes every grant of a user or of a client (before they are deleted), announcing their tokens. */
  async revokeAllFor(owner: { userId?: string; clientId?: string }): Promise<void> {
    let query = this.#db.selectFrom('oauth_grants').select('id').where('revoked_at', 'is', null);
    if (owner.userId !== undefined) query = query.where('user_id', '=', owner.userId);
    if (owner.clientId !== undefined) query = query.where('client_id', '=', owner.clientId);
    const rows = await query.execute();
    for (const row of rows) await this.revoke(row.id);
  }

  async revoke(grantId: string): Promise<void> {
    const revoked = await store.revokeGrantRows(this.#db, grantId, Date.now());
    await this.#revocations.announce(revoked);
  }

  /** The live refresh token row for a presented value, if any (for introspection and revocation). */
  async findRefreshToken(token: string): Promise<{ token: store.RefreshTokenRow; grant: store.GrantRow } | null> {
    const row = await store.findRefreshToken(this.#db, this.#digests.digest('refresh-token', token));
    if (!row) return null;
    const grant = await store.findGrant(this.#db, row.grant_id);
    const now = Date.now();
    if (!grant || grant.revoked_at !== null || grant.expires_at <= now || row.expires_at <= now || row.used_at !== null)
      return null;
    return { token: row, grant };
  }

  /**
   * RFC 6749 §6: exchanges a refresh token. The token must be this client's, live, and its grant
   * unrevoked; the scope may narrow, never widen.
   */
  async refresh(
    client: Client,
    presented: string,
    requestedScope: string | undefined,
    dpopJkt?: string,
  ): Promise<RefreshedGrant> {
    const hash = this.#digests.digest('refresh-token', presented);
    const row = await store.findRefreshToken(this.#db, hash);
    // Another client's token is treated as unknown, so a client cannot probe for tokens.
    if (!row || row.client_id !== client.clientId) throw invalidGrant('the refresh token is invalid, expired or revoked');
    const grant = await store.findGrant(this.#db, row.grant_id);
    const now = Date.now();
    if (!grant || grant.revoked_at !== null) throw invalidGrant('the refresh token is invalid, expired or revoked');
    // RFC 9449 §5: a bound token needs a proof by its key. Checked before reuse detection, so a thief
    // without the key cannot get the grant revoked either.
    if (row.dpop_jkt !== null && row.dpop_jkt !== dpopJkt)
      throw invalidGrant('the refresh token is bound to a DPoP key; send a proof made with that key');
    if (row.used_at !== null) {
      await this.revoke(grant.id);
      throw invalidGrant('the refresh token was already used; the grant has been revoked');
    }
    if (row.expires_at <= now || grant.expires_at <= now) throw invalidGrant('the refresh token is invalid, expired or revoked');
    const scope = narrowScope(row.scope, requestedScope);
    if (client.type === 'public') {
      if (!(await store.markRefreshTokenUsed(this.#db, hash, now))) {
        // Lost a race against another use of the same token: that is reuse too.
        await this.revoke(grant.id);
        throw invalidGrant('the refresh token was already used; the grant has been revoked');
      }
      return { grant, scope, refreshToken: await this.issueRefreshToken(grant, client, row.scope, dpopJkt) };
    }
    // Confidential clients keep their token; using it slides its idle expiry within the grant's.
    await store.touchRefreshToken(this.#db, hash, Math.min(now + client.refreshTokenIdleLifetime * 1000, grant.expires_at));
    return { grant, scope, refreshToken: presented };
  }
}

/** RFC 6749 §6: the requested scope MUST NOT include any scope not originally granted. */
export function narrowScope(granted: string, requested: string | undefined): string {
  if (requested === undefined) return granted;
  const have = new Set(granted.split(' ').filter(Boolean));
  const want = [...new Set(requested.split(' ').filter(Boolean))];
  const extra = want.filter((s) => !have.has(s));
  if (extra.length > 0) throw new OAuthError('invalid_scope', `scope ${extra.join(' ')} was not granted`);
  return want.join(' ');
}

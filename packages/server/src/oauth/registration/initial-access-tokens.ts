import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/index.ts';
import { NotFound } from '../../http/errors.ts';
import type { SecretDigests } from '../../keys/index.ts';
import { invalidBearerToken } from './read-bearer-token.ts';
import * as store from './registration-store.ts';

export const INITIAL_ACCESS_TOKEN_LIMITS = { defaultLifetime: 86_400, maxLifetime: 30 * 86_400, defaultUses: 1 };

export interface InitialAccessTokenView {
  id: string;
  max_uses: number;
  uses: number;
  scopes: string[];
  created_by: string | null;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

function toView(row: store.InitialAccessTokenRow): InitialAccessTokenView {
  return {
    id: row.id,
    max_uses: row.max_uses,
    uses: row.uses,
    scopes: store.scopeList(row.scopes),
    created_by: row.created_by,
    created_at: iso(row.created_at),
    expires_at: iso(row.expires_at),
    revoked_at: row.revoked_at === null ? null : iso(row.revoked_at),
  };
}

/** A token `check` accepted: its id, and the API scopes clients registered with it may have. */
export interface CheckedInitialAccessToken {
  id: string;
  scopes: string[];
}

/**
 * Initial access tokens (RFC 7591 §3): an administrator hands one to whoever may register
 * clients, with the API scopes those clients may have (RFC 7591 §2: the server decides).
 * 256 random bits shown once; the database holds only the keyed digest, looked up by that
 * digest, so timing reveals nothing about the token.
 */
export class InitialAccessTokens {
  readonly #db: Kysely<Database>;
  readonly #digests: SecretDigests;

  constructor(db: Kysely<Database>, digests: SecretDigests) {
    this.#db = db;
    this.#digests = digests;
  }

  async create(options: {
    expiresIn: number;
    maxUses: number;
    /** RFC 6749 §3.3 scope tokens; the admin API's schema has checked them. */
    scopes: readonly string[];
    createdBy: string | null;
  }): Promise<{ id: string; token: string; expires_at: string; max_uses: number; scopes: string[] }> {
    const token = `pci_${randomBytes(32).toString('base64url')}`;
    const now = Date.now();
    const scopes = [...new Set(options.scopes)];
    const row: store.InitialAccessTokenRow = {
      id: randomUUID(),
      token_hash: this.#digests.digest('initial-access-token', token),
      max_uses: options.maxUses,
      uses: 0,
      scopes: JSON.stringify(scopes),
      created_by: options.createdBy,
      created_at: now,
      expires_at: now + options.expiresIn * 1000,
      revoked_at: null,
    };
    await store.insertInitialAccessToken(this.#db, row);
    return { id: row.id, token, expires_at: iso(row.expires_at), max_uses: row.max_uses, scopes };
  }

  async list(): Promise<InitialAccessTokenView[]> {
    return (await store.listInitialAccessTokens(this.#db)).map(toView);
  }

  /** Revoking again is not an error; clients already registered with the token stay. */
  async revoke(id: string): Promise<void> {
    if (!(await store.findInitialAccessTokenById(this.#db, id))) throw new NotFound(`no initial access token with id "${id}"`);
    await store.revokeInitialAccessToken(this.#db, id, Date.now());
  }

  /** The token if it may still register a client; a 401 `invalid_token` otherwise. */
  async check(token: string): Promise<CheckedInitialAccessToken> {
    const row = await store.findInitialAccessTokenByHash(this.#db, this.#digests.digest('initial-access-token', token));
    const problem = unusable(row, Date.now());
    if (!row || problem) throw rejected(problem ?? 'unknown');
    return { id: row.id, scopes: store.scopeList(row.scopes) };
  }

  /** Takes one use of a checked token; it may have been used up or revoked since. */
  async takeUse(id: string): Promise<void> {
    if (!(await store.takeInitialAccessTokenUse(this.#db, id, Date.now()))) throw rejected('used up or revoked meanwhile');
  }

  /** Gives back a use when the registration it was taken for did not happen. */
  async giveBackUse(id: string): Promise<void> {
    await store.giveBackInitialAccessTokenUse(this.#db, id);
  }
}

function unusable(row: store.InitialAccessTokenRow | undefined, now: number): string | null {
  if (!row) return 'unknown';
  if (row.revoked_at !== null) return 'revoked';
  if (row.expires_at <= now) return 'expired';
  if (row.uses >= row.max_uses) return 'used up';
  return null;
}

function rejected(why: string) {
  // One public description for every reason, so a caller cannot probe; the reason goes to the log.
  return invalidBearerToken('the initial access token is not valid (unknown, expired, used up or revoked)', why);
}

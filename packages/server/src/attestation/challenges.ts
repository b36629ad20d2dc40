import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import { QueryTemplate } from '../db/query-template.ts';
import type { SecretDigests } from '../keys/index.ts';

export const CHALLENGE_LIFETIME_S = 60;

// The two queries of every attestation, compiled once (db/query-template.ts).
const insertChallenge = new QueryTemplate((db: Kysely<Database>, hash: string, expiresAt: number) =>
  db.insertInto('attestation_challenges').values({ challenge_hash: hash, expires_at: expiresAt }),
);
const deleteLiveChallenge = new QueryTemplate((db: Kysely<Database>, hash: string, now: number) =>
  db.deleteFrom('attestation_challenges').where('challenge_hash', '=', hash).where('expires_at', '>', now),
);

/**
 * Attestation challenges: 256 random bits, stored as digests, valid for a minute and consumed
 * by one conditional DELETE, so two nodes sharing a database can never both accept the same one.
 */
export class Challenges {
  readonly #db: Kysely<Database>;
  readonly #digests: SecretDigests;

  constructor(db: Kysely<Database>, digests: SecretDigests) {
    this.#db = db;
    this.#digests = digests;
  }

  async issue(): Promise<{ challenge: string; expires_in: number }> {
    const challenge = randomBytes(32).toString('base64url');
    const hash = this.#digests.digest('attestation-challenge', challenge);
    await insertChallenge.execute(this.#db, hash, Date.now() + CHALLENGE_LIFETIME_S * 1000);
    return { challenge, expires_in: CHALLENGE_LIFETIME_S };
  }

  /** True exactly once for a live challenge; false for unknown, expired or already used ones. */
  async consume(challenge: string): Promise<boolean> {
    const hash = this.#digests.digest('attestation-challenge', challenge);
    const result = await deleteLiveChallenge.execute(this.#db, hash, Date.now());
    return Number(result.numAffectedRows) === 1;
  }

  async deleteExpired(): Promise<void> {
    await this.#db.deleteFrom('attestation_challenges').where('expires_at', '<=', Date.now()).execute();
  }
}

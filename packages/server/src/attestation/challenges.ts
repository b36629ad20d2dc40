import { timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import { QueryTemplate } from '../db/query-template.ts';
import type { SecretDigests } from '../keys/index.ts';
import { RandomPool } from '../keys/random-pool.ts';

export const CHALLENGE_LIFETIME_S = 60;

const VERSION = 1;
const RANDOM_BYTES = 32;
const TAG_BYTES = 16;
/** version (1) ‖ expiry, Unix seconds (4, big-endian) ‖ random (32) */
const BODY_BYTES = 1 + 4 + RANDOM_BYTES;
/** The challenge's length in base64url characters: body and tag, 53 bytes. */
const CHALLENGE_CHARS = Math.ceil(((BODY_BYTES + TAG_BYTES) * 4) / 3);

// The one query of every attestation's challenge, compiled once (db/query-template.ts).
const spend = new QueryTemplate((db: Kysely<Database>, tag: string, expiresAt: number) =>
  db
    .insertInto('attestation_spent_challenges')
    .values({ tag, expires_at: expiresAt })
    .onConflict((oc) => oc.column('tag').doNothing()),
);

export type ChallengeUse = 'fresh' | 'unknown' | 'reused';

/**
 * Attestation challenges: 256 random bits and an expiry a minute ahead, sealed with an HMAC under
 * a key derived from the master key, so issuing one stores nothing (a flood of requests for
 * challenges fills no table) and any node holding the master key can check it. Spending one
 * inserts its seal into `attestation_spent_challenges`, whose primary key lets exactly one insert
 * win, so two nodes sharing a database can never both accept it; spent seals are kept until the
 * challenge would have expired anyway.
 */
export class Challenges {
  readonly #random = new RandomPool();
  readonly #db: Kysely<Database>;
  readonly #digests: SecretDigests;

  constructor(db: Kysely<Database>, digests: SecretDigests) {
    this.#db = db;
    this.#digests = digests;
  }

  #tag(body: Uint8Array): Buffer {
    return this.#digests.mac('attestation-challenge', body).subarray(0, TAG_BYTES);
  }

  issue(): { challenge: string; expires_in: number } {
    const body = Buffer.alloc(BODY_BYTES);
    body[0] = VERSION;
    body.writeUInt32BE(Math.floor(Date.now() / 1000) + CHALLENGE_LIFETIME_S, 1);
    this.#random.fill(body, 5, RANDOM_BYTES);
    return { challenge: Buffer.concat([body, this.#tag(body)]).toString('base64url'), expires_in: CHALLENGE_LIFETIME_S };
  }

  /**
   * Spends `challenge`: `fresh` exactly once for a challenge this server issued that has not
   * expired, `reused` after that, `unknown` for anything else (never issued, altered, expired).
   */
  async consume(challenge: string): Promise<ChallengeUse> {
    if (challenge.length !== CHALLENGE_CHARS) return 'unknown';
    const bytes = Buffer.from(challenge, 'base64url');
    // Buffer.from skips characters outside base64url; a canonical challenge encodes back to itself.
    if (bytes.length !== BODY_BYTES + TAG_BYTES || bytes.toString('base64url') !== challenge) return 'unknown';
    const body = bytes.subarray(0, BODY_BYTES);
    const tag = bytes.subarray(BODY_BYTES);
    if (body[0] !== VERSION || !timingSafeEqual(tag, this.#tag(body))) return 'unknown';
    const expiresAt = body.readUInt32BE(1) * 1000;
    if (Date.now() >= expiresAt) return 'unknown';
    const result = await spend.execute(this.#db, tag.toString('base64url'), expiresAt);
    return Number(result.numAffectedRows) === 1 ? 'fresh' : 'reused';
  }

  /** Spent seals whose challenges have expired: the seal check refuses those on its own. */
  async deleteExpired(): Promise<void> {
    await this.#db.deleteFrom('attestation_spent_challenges').where('expires_at', '<=', Date.now()).execute();
  }
}

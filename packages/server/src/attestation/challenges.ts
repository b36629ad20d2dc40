import { timingSafeEqual } from 'node:crypto';
import type { CompiledQuery, Kysely } from 'kysely';
import { type Database, deleteExpiredRows } from '../db/index.ts';
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

/** Seals spent in one statement at most (two bound values each, far below any database's limit). */
const MAX_SPENDS_PER_STATEMENT = 500;

/** Spend statements compiled once per row count up to this (larger batches are compiled each time). */
const MAX_COMPILED_ROWS = 64;

/** The spend insert for some number of rows, and which row's tag (true) or expiry each parameter is. */
interface SpendStatement {
  query: CompiledQuery<{ tag: string }>;
  slots: [row: number, tag: boolean][];
}

/** A spend waiting for this turn of the event loop to end, to be written with the others. */
interface Spend {
  tag: string;
  expiresAt: number;
  settle: (use: 'fresh' | 'reused') => void;
  fail: (err: unknown) => void;
}

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
  #waiting: Spend[] = [];
  /** The spend insert compiled per row count. */
  readonly #statements = new Map<number, SpendStatement>();
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
    return this.#spend(tag.toString('base64url'), expiresAt);
  }

  /**
   * Spends a seal with the others spent in the same turn of the event loop: one multi-row insert
   * (`ON CONFLICT DO NOTHING ... RETURNING`) whose returned rows are the winners, so a busy server
   * commits once per turn instead of once per attestation (a commit was a tenth of an
   * attestation's CPU on SQLite). The same seal twice in one turn: the first is the one written.
   */
  #spend(tag: string, expiresAt: number): Promise<'fresh' | 'reused'> {
    return new Promise((settle, fail) => {
      this.#waiting.push({ tag, expiresAt, settle, fail });
      if (this.#waiting.length === 1) setImmediate(() => this.#write());
    });
  }

  #write(): void {
    const batch = this.#waiting;
    this.#waiting = [];
    const first = new Map<string, Spend>();
    for (const spend of batch) {
      if (first.has(spend.tag)) spend.settle('reused');
      else first.set(spend.tag, spend);
    }
    const spends = [...first.values()];
    for (let i = 0; i < spends.length; i += MAX_SPENDS_PER_STATEMENT) {
      const chunk = spends.slice(i, i + MAX_SPENDS_PER_STATEMENT);
      const { query, slots } = this.#statement(chunk.length);
      this.#db
        .executeQuery<{ tag: string }>({
          ...query,
          parameters: slots.map(([row, tag]) => (tag ? chunk[row]?.tag : chunk[row]?.expiresAt)),
        })
        .then(
          ({ rows }) => {
            const won = new Set(rows.map((r) => r.tag));
            for (const s of chunk) s.settle(won.has(s.tag) ? 'fresh' : 'reused');
          },
          (err: unknown) => {
            for (const s of chunk) s.fail(err);
          },
        );
    }
  }

  /**
   * The insert for `rows` spends, built by Kysely once per row count (building it each time cost
   * ~20 µs a spend on the bench machine) with placeholder values that say which parameter holds
   * which row's tag or expiry, whatever order the dialect binds them in.
   */
  #statement(rows: number): SpendStatement {
    let statement = this.#statements.get(rows);
    if (!statement) {
      const query = this.#db
        .insertInto('attestation_spent_challenges')
        .values(Array.from({ length: rows }, (_, row) => ({ tag: `row ${row}`, expires_at: -1 - row })))
        .onConflict((oc) => oc.columns(['expires_at', 'tag']).doNothing())
        .returning('tag')
        .compile();
      const slots = query.parameters.map((value): [number, boolean] =>
        typeof value === 'string' ? [Number(value.slice(4)), true] : [-1 - Number(value), false],
      );
      statement = { query, slots };
      if (rows <= MAX_COMPILED_ROWS) this.#statements.set(rows, statement);
    }
    return statement;
  }

  /** Spent seals whose challenges have expired (the seal check refuses those on its own), a batch at a time. */
  async deleteExpired(): Promise<void> {
    await deleteExpiredRows(this.#db, 'attestation_spent_challenges', Date.now());
  }
}

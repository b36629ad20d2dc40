import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';

const FREE_ACCOUNT_FAILURES = 5;
const FREE_IP_FAILURES = 50;
const MAX_DELAY_S = 900;
/** A quiet quarter of an hour forgives past failures: throttling, never a permanent lock-out. */
const FORGET_AFTER_MS = 15 * 60_000;

export interface ThrottleKeys {
  /** The normalized username as typed, whether or not such a user exists (no enumeration). */
  account: string;
  ip: string;
}

/**
 * Slows password guessing per account name and per IP: after a few free failures each further
 * attempt must wait an exponentially growing delay (capped at 15 minutes) after the last failure.
 * Shared through the database, so every node enforces the same counts.
 */
export class LoginThrottle {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Seconds the caller must still wait; 0 when an attempt is allowed now. */
  async retryAfter(keys: ThrottleKeys): Promise<number> {
    const now = Date.now();
    const rows = await this.#db
      .selectFrom('login_throttle')
      .selectAll()
      .where('key', 'in', [`account:${keys.account}`, `ip:${keys.ip}`])
      .execute();
    let wait = 0;
    for (const row of rows) {
      if (now - row.last_failure_at > FORGET_AFTER_MS) continue;
      const free = row.key.startsWith('ip:') ? FREE_IP_FAILURES : FREE_ACCOUNT_FAILURES;
      if (row.failures < free) continue;
      const delayMs = Math.min(2 ** (row.failures - free), MAX_DELAY_S) * 1000;
      wait = Math.max(wait, Math.ceil((row.last_failure_at + delayMs - now) / 1000));
    }
    return wait;
  }

  async recordFailure(keys: ThrottleKeys): Promise<void> {
    const now = Date.now();
    for (const key of [`account:${keys.account}`, `ip:${keys.ip}`]) {
      await this.#db
        .insertInto('login_throttle')
        .values({ key, failures: 1, last_failure_at: now })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet((eb) => ({
            // After a quiet period the count starts again from one.
            failures: eb
              .case()
              .when('login_throttle.last_failure_at', '<', now - FORGET_AFTER_MS)
              .then(1)
              .else(eb('login_throttle.failures', '+', 1))
              .end(),
            last_failure_at: now,
          })),
        )
        .execute();
    }
  }

  async recordSuccess(keys: ThrottleKeys): Promise<void> {
    await this.#db.deleteFrom('login_throttle').where('key', '=', `account:${keys.account}`).execute();
  }
}

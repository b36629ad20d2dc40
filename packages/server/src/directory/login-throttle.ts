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

const free = (key: string) => (key.startsWith('ip:') ? FREE_IP_FAILURES : FREE_ACCOUNT_FAILURES);
const delayMs = (failures: number, key: string) => Math.min(2 ** (failures - free(key)), MAX_DELAY_S) * 1000;

/**
 * Slows password guessing per account name and per IP: after a few free failures each further
 * attempt must wait an exponentially growing delay (capped at 15 minutes) after the last failure.
 * Every attempt is counted as a failure before its password is checked, in one atomic statement
 * per key, so parallel guesses cannot all slip in under the limit; a success takes it back.
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
      if (now - row.last_failure_at > FORGET_AFTER_MS || row.failures < free(row.key)) continue;
      wait = Math.max(wait, Math.ceil((row.last_failure_at + delayMs(row.failures, row.key) - now) / 1000));
    }
    return wait;
  }

  /**
   * Admits one attempt or says how long to wait. An admitted attempt is already counted as a
   * failure; call `succeeded` when the password was right.
   */
  async admit(keys: ThrottleKeys): Promise<number> {
    const wait = await this.retryAfter(keys);
    if (wait > 0) return wait;
    const now = Date.now();
    let refuse = 0;
    for (const key of [`account:${keys.account}`, `ip:${keys.ip}`]) {
      const row = await this.#db
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
        .returning('failures')
        .executeTakeFirstOrThrow();
      // Over the free quota already: a concurrent attempt got here first, so this one waits.
      if (row.failures > free(key)) refuse = Math.max(refuse, Math.ceil(delayMs(row.failures - 1, key) / 1000));
    }
    return refuse;
  }

  async succeeded(keys: ThrottleKeys): Promise<void> {
    await this.#db.deleteFrom('login_throttle').where('key', '=', `account:${keys.account}`).execute();
    await this.#db
      .updateTable('login_throttle')
      .set((eb) => ({ failures: eb('failures', '-', 1) }))
      .where('key', '=', `ip:${keys.ip}`)
      .where('failures', '>', 0)
      .execute();
  }
}

import type { Kysely } from 'kysely';
import type { Database } from '../../db/index.ts';
import type { EventBus } from '../../events/index.ts';
import * as store from './grants-store.ts';

const ADDED = 'revocations.added';

interface RevokedEntry {
  jti: string;
  expires_at: number;
}

/**
 * Revoked access tokens, until they expire. Checked in memory on every introspection (and by the
 * gateway); filled from the database at start-up and from other nodes through the event bus.
 */
export class Revocations {
  readonly #db: Kysely<Database>;
  readonly #bus: EventBus;
  readonly #revoked = new Map<string, number>();
  #unsubscribe: () => void = () => {};

  private constructor(db: Kysely<Database>, bus: EventBus) {
    this.#db = db;
    this.#bus = bus;
  }

  static async open(db: Kysely<Database>, bus: EventBus): Promise<Revocations> {
    const revocations = new Revocations(db, bus);
    revocations.#remember(await store.listLiveRevocations(db, Date.now()));
    revocations.#unsubscribe = bus.subscribe(ADDED, (payload) => revocations.#remember(payload as RevokedEntry[]));
    return revocations;
  }

  close(): void {
    this.#unsubscribe();
  }

  #remember(entries: RevokedEntry[]): void {
    for (const e of entries) this.#revoked.set(e.jti, e.expires_at);
  }

  isRevoked(jti: string): boolean {
    return this.#revoked.has(jti);
  }

  /** Records revocations already written to the database and tells every node. */
  async announce(entries: RevokedEntry[]): Promise<void> {
    if (entries.length > 0) await this.#bus.publish(ADDED, entries);
  }

  async revokeAccessToken(jti: string, expiresAt: number): Promise<void> {
    await store.insertRevocation(this.#db, jti, Date.now(), expiresAt);
    await this.announce([{ jti, expires_at: expiresAt }]);
  }

  /** The revocation feed: every revoked token that has not expired yet. */
  live(): RevokedEntry[] {
    const now = Date.now();
    const out: RevokedEntry[] = [];
    for (const [jti, expiresAt] of this.#revoked) {
      if (expiresAt <= now) this.#revoked.delete(jti);
      else out.push({ jti, expires_at: expiresAt });
    }
    return out;
  }
}

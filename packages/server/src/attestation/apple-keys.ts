import type { JsonWebKey } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../db/index.ts';
import type { AppleEnvironment } from './apple/index.ts';
import type { AttestationTables } from './tables.ts';

type AppleKeyRow = Selectable<AttestationTables['apple_keys']>;

/** An App Attest key a passing attestation stored (ATTESTATION.md §2.6). */
export interface AppleKey {
  /** base64url of the key identifier. */
  keyId: string;
  appId: string;
  publicKeyJwk: JsonWebKey;
  /** The highest counter accepted so far; 0 right after attestation. */
  signCount: number;
  environment: AppleEnvironment;
  /** The app-instance key bound at attestation. */
  jkt: string;
}

function view(row: AppleKeyRow): AppleKey {
  return {
    keyId: row.key_id,
    appId: row.app_id,
    publicKeyJwk: JSON.parse(row.public_key) as JsonWebKey,
    signCount: row.sign_count,
    environment: row.environment as AppleEnvironment,
    jkt: row.jkt,
  };
}

/**
 * Attested App Attest keys. Apple's model: attest a key once, then prove each later request with
 * an assertion by it, whose counter must exceed the stored one. A key is stored once and only its
 * counter moves, by a conditional UPDATE, so two nodes sharing a database cannot both accept the
 * same counter.
 */
export class AppleKeys {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Stores a freshly attested key (counter 0); false when that key id is stored already. */
  async add(key: Omit<AppleKey, 'signCount'>): Promise<boolean> {
    const now = Date.now();
    const result = await this.#db
      .insertInto('apple_keys')
      .values({
        key_id: key.keyId,
        app_id: key.appId,
        public_key: JSON.stringify({
          kty: key.publicKeyJwk.kty,
          crv: key.publicKeyJwk.crv,
          x: key.publicKeyJwk.x,
          y: key.publicKeyJwk.y,
        }),
        sign_count: 0,
        environment: key.environment,
        jkt: key.jkt,
        created_at: now,
        last_used_at: now,
      })
      .onConflict((oc) => oc.column('key_id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async find(keyId: string): Promise<AppleKey | undefined> {
    const row = await this.#db.selectFrom('apple_keys').selectAll().where('key_id', '=', keyId).executeTakeFirst();
    return row ? view(row) : undefined;
  }

  /**
   * Apple, "Verify the assertion", step 5: stores the counter of a verified assertion. True only
   * when it is above the stored one at the moment of writing; of concurrent assertions with the
   * same counter exactly one gets true.
   */
  async advance(keyId: string, signCount: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('apple_keys')
      .set({ sign_count: signCount, last_used_at: Date.now() })
      .where('key_id', '=', keyId)
      .where('sign_count', '<', signCount)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}

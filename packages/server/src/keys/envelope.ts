import { randomBytes, randomUUID } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose';
import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import { MasterKeyError } from './load-wrapping-key.ts';

const CHECK_FACT = 'master_key_check';
const CHECK_PLAINTEXT = 'portcullis master key check v1';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Envelope encryption for secrets at rest. Each secret is a compact JWE (`dir`, A256GCM) under a
 * data key; data keys are stored wrapped (A256KW) by the master key, so changing the master key
 * only re-wraps data keys. Every sealed value names its purpose in a protected `ctx` header, so
 * a ciphertext copied into another row or column fails to open.
 */
export class Envelope {
  readonly #db: Kysely<Database>;
  readonly #masterKey: Uint8Array;
  readonly #dataKeys = new Map<string, Uint8Array>();
  #activeId = '';

  private constructor(db: Kysely<Database>, masterKey: Uint8Array) {
    this.#db = db;
    this.#masterKey = masterKey;
  }

  /** Proves the master key against the stored check value and loads the active data key. */
  static async open(db: Kysely<Database>, masterKey: Uint8Array, origin: string): Promise<Envelope> {
    const envelope = new Envelope(db, masterKey);
    await envelope.#checkMasterKey(origin);
    await envelope.#loadActiveDataKey();
    return envelope;
  }

  async #checkMasterKey(origin: string): Promise<void> {
    const fresh = await new CompactEncrypt(encoder.encode(CHECK_PLAINTEXT))
      .setProtectedHeader({ alg: 'A256KW', enc: 'A256GCM' })
      .encrypt(this.#masterKey);
    await this.#db
      .insertInto('key_facts')
      .values({ name: CHECK_FACT, value: fresh })
      .onConflict((oc) => oc.doNothing())
      .execute();
    const row = await this.#db.selectFrom('key_facts').select('value').where('name', '=', CHECK_FACT).executeTakeFirstOrThrow();
    try {
      const { plaintext } = await compactDecrypt(row.value, this.#masterKey);
      if (decoder.decode(plaintext) === CHECK_PLAINTEXT) return;
    } catch {
      // fall through to the one clear error below
    }
    throw new MasterKeyError(
      `the master key from ${origin} is not the one this database's secrets were sealed with; restore the original key (PORTCULLIS_MASTER_KEY or the data directory's master.key)`,
    );
  }

  async #loadActiveDataKey(): Promise<void> {
    let row = await this.#db
      .selectFrom('data_keys')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    if (!row) {
      const id = randomUUID();
      const wrapped = await this.#wrap(id, randomBytes(32));
      await this.#db.insertInto('data_keys').values({ id, wrapped, created_at: Date.now() }).execute();
      row = { id, wrapped, created_at: Date.now() };
    }
    this.#dataKeys.set(row.id, await this.#unwrap(row.id, row.wrapped));
    this.#activeId = row.id;
  }

  async #wrap(id: string, key: Uint8Array): Promise<string> {
    return new CompactEncrypt(key).setProtectedHeader({ alg: 'A256KW', enc: 'A256GCM', kid: id }).encrypt(this.#masterKey);
  }

  async #unwrap(id: string, wrapped: string): Promise<Uint8Array> {
    const { plaintext, protectedHeader } = await compactDecrypt(wrapped, this.#masterKey);
    if (protectedHeader.kid !== id || plaintext.length !== 32) throw new MasterKeyError(`data key ${id} is damaged`);
    return plaintext;
  }

  async #dataKey(id: string): Promise<Uint8Array> {
    const cached = this.#dataKeys.get(id);
    if (cached) return cached;
    // Another node may have created it since we started.
    const row = await this.#db.selectFrom('data_keys').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new MasterKeyError(`data key ${id} is missing`);
    const key = await this.#unwrap(id, row.wrapped);
    this.#dataKeys.set(id, key);
    return key;
  }

  /**
   * @example
   * const sealed = await envelope.seal('s3cret', 'secrets:stripe');
   * await envelope.open(sealed, 'secrets:stripe'); // 's3cret'
   */
  async seal(plaintext: string, context: string): Promise<string> {
    const key = await this.#dataKey(this.#activeId);
    return new CompactEncrypt(encoder.encode(plaintext))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: this.#activeId, ctx: context })
      .encrypt(key);
  }

  async open(sealed: string, context: string): Promise<string> {
    const header = decodeProtectedHeader(sealed);
    if (typeof header.kid !== 'string' || header.ctx !== context) throw new MasterKeyError(`sealed value is not for ${context}`);
    const { plaintext } = await compactDecrypt(sealed, await this.#dataKey(header.kid));
    return decoder.decode(plaintext);
  }
}

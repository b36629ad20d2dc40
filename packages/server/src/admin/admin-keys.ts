import { randomBytes, randomUUID } from 'node:crypto';
import type { AdminKeyView, AdminRole } from '@portcullis/protocol';
import type { Kysely } from 'kysely';
import { type Database, isUniqueViolation } from '../db/index.ts';
import { NotFound } from '../http/errors.ts';
import type { SecretDigests } from '../keys/secret-digests.ts';
import * as store from './admin-keys-store.ts';

const BOOTSTRAP_ID = 'bootstrap';
const TOUCH_INTERVAL_MS = 60_000;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toAdminKeyView(row: store.AdminKeyRow): AdminKeyView {
  return {
    id: row.id,
    role: row.role as AdminRole,
    label: row.label,
    bootstrap: row.bootstrap === 1,
    created_at: new Date(row.created_at).toISOString(),
    last_used_at: iso(row.last_used_at),
    revoked_at: iso(row.revoked_at),
  };
}

/**
 * Admin API keys. A key is 256 random bits shown once; the database holds only its HMAC under a
 * key derived from the master key, so a copy of the database alone cannot even test guesses.
 * Lookup is by that digest, which reveals nothing about the key through timing.
 */
export class AdminKeys {
  readonly #db: Kysely<Database>;
  readonly #digests: SecretDigests;
  readonly #lastTouched = new Map<string, number>();

  constructor(db: Kysely<Database>, digests: SecretDigests) {
    this.#db = db;
    this.#digests = digests;
  }

  #digest(key: string): string {
    return this.#digests.digest('admin-key', key);
  }

  async create(role: AdminRole, label: string | null): Promise<{ key: string; view: AdminKeyView }> {
    const key = `pck_${randomBytes(32).toString('base64url')}`;
    const row: store.AdminKeyRow = {
      id: randomUUID(),
      key_hash: this.#digest(key),
      role,
      label,
      bootstrap: 0,
      created_at: Date.now(),
      last_used_at: null,
      revoked_at: null,
    };
    await store.insertAdminKey(this.#db, row);
    return { key, view: toAdminKeyView(row) };
  }

  /**
   * Makes sure the bootstrap admin key exists. With `configured` (PORTCULLIS_ADMIN_KEY) that key
   * is the bootstrap key, replacing an earlier one. Without it, a key is generated on the very
   * first start only and returned so it can be printed once; later starts return null.
   */
  async ensureBootstrap(configured: string | undefined): Promise<string | null> {
    const existing = await store.findAdminKeyById(this.#db, BOOTSTRAP_ID);
    if (configured !== undefined) {
      const hash = this.#digest(configured);
      if (existing?.key_hash === hash && existing.revoked_at === null) return null;
      if (existing) await store.replaceBootstrapHash(this.#db, BOOTSTRAP_ID, hash, Date.now());
      else await this.#insertBootstrap(hash);
      return null;
    }
    if (existing) return null;
    const key = `pck_${randomBytes(32).toString('base64url')}`;
    return (await this.#insertBootstrap(this.#digest(key))) ? key : null;
  }

  async #insertBootstrap(hash: string): Promise<boolean> {
    try {
      await store.insertAdminKey(this.#db, {
        id: BOOTSTRAP_ID,
        key_hash: hash,
        role: 'admin',
        label: 'bootstrap',
        bootstrap: 1,
        created_at: Date.now(),
        last_used_at: null,
        revoked_at: null,
      });
      return true;
    } catch (err) {
      // Another node inserted it first; that node prints its key.
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  /** The active key row for a presented key, or null. */
  async authenticate(presented: string): Promise<store.AdminKeyRow | null> {
    const row = await store.findAdminKeyByHash(this.#db, this.#digest(presented));
    if (!row || row.revoked_at !== null) return null;
    const now = Date.now();
    if (now - (this.#lastTouched.get(row.id) ?? 0) > TOUCH_INTERVAL_MS) {
      this.#lastTouched.set(row.id, now);
      await store.touchAdminKey(this.#db, row.id, now);
    }
    return row;
  }

  async list(): Promise<AdminKeyView[]> {
    return (await store.listAdminKeys(this.#db)).map(toAdminKeyView);
  }

  async revoke(id: string): Promise<AdminKeyView> {
    const row = await store.findAdminKeyById(this.#db, id);
    if (!row || !(await store.revokeAdminKey(this.#db, id, Date.now())))
      throw new NotFound(`no active admin key with id "${id}"`);
    return toAdminKeyView({ ...row, revoked_at: Date.now() });
  }
}

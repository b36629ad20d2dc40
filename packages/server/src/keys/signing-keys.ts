import { createPrivateKey, type KeyObject } from 'node:crypto';
import { KEY_USES, type KeyUse, type SigningAlgorithm, type SigningKeyView } from '@portcullis/protocol';
import { createLocalJWKSet, type JWK } from 'jose';
import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import type { EventBus } from '../events/index.ts';
import { Conflict } from '../http/errors.ts';
import type { Envelope } from './envelope.ts';
import { generateSigningKey } from './generate-signing-key.ts';
import { signJws } from './jws-signature.ts';
import { type JwsThread, jwsThread } from './jws-thread.ts';
import {
  deleteExpiredSigningKeys,
  insertSigningKey,
  listSigningKeys,
  moveSigningKey,
  type SigningKeyRow,
} from './signing-keys-store.ts';

export interface ActiveSigningKey {
  kid: string;
  alg: SigningAlgorithm;
  /** The base64url JWS header for a `typ`, computed once per key and type. */
  encodedHeader(typ: string): string;
  /** The base64url JWS signature of a signing input (RFC 7515 §5.1). */
  sign(input: string): Promise<string>;
  /** The key signs no more: the signing thread drops its copy. */
  retire(): void;
}

/** The digest node:crypto signs with, for the algorithms signed without WebCrypto (RFC 7518 §3.4, RFC 8037 §3.1). */
const NODE_SIGNED: Partial<Record<SigningAlgorithm, string | null>> = { ES256: 'sha256', EdDSA: null };

/** RS256 (RFC 7518 §3.3) for WebCrypto. */
const RSASSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };

/**
 * A current key, ready to sign: ES256 and EdDSA through `signer` (batched on a thread of its own)
 * or, without one, in place with node:crypto (tens of µs; keys/jws-signature.ts says why not
 * WebCrypto); RS256, at about a millisecond a signature, through WebCrypto on the libuv thread
 * pool, so the event loop keeps serving requests meanwhile.
 */
export async function activeKey(
  kid: string,
  alg: SigningAlgorithm,
  privateKey: KeyObject,
  signer?: JwsThread,
): Promise<ActiveSigningKey> {
  const headers = new Map<string, string>();
  const hash = NODE_SIGNED[alg];
  const signerKey = hash !== undefined ? signer?.key(alg, hash, privateKey) : undefined;
  let sign: (input: string) => Promise<string>;
  if (hash === undefined) {
    const cryptoKey = await crypto.subtle.importKey('pkcs8', privateKey.export({ format: 'der', type: 'pkcs8' }), RSASSA, false, [
      'sign',
    ]);
    sign = async (input) => Buffer.from(await crypto.subtle.sign(RSASSA, cryptoKey, Buffer.from(input))).toString('base64url');
  } else if (signer && signerKey) {
    sign = (input) => signer.sign(signerKey, input);
  } else {
    sign = async (input) => signJws(alg, hash, privateKey, Buffer.from(input));
  }
  return {
    kid,
    alg,
    encodedHeader(typ: string) {
      let header = headers.get(typ);
      if (!header) {
        header = Buffer.from(JSON.stringify({ alg, typ, kid })).toString('base64url');
        headers.set(typ, header);
      }
      return header;
    },
    sign,
    retire() {
      if (signer && signerKey) signer.forget(signerKey);
    },
  };
}

export interface SigningKeysOptions {
  db: Kysely<Database>;
  envelope: Envelope;
  bus: EventBus;
  /** Algorithm for newly generated keys. */
  alg: SigningAlgorithm;
  /** No token lives longer than this, so a retired key is published this long after it stops signing. */
  maxTokenLifetimeMs: number;
}

const CHANGED = 'keys.changed';
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const sealContext = (kid: string) => `signing_key:${kid}`;

/**
 * Signing keys per use. Each use always has a `current` key that signs and a `next` key that is
 * already in the JWKS, so a rotation never presents verifiers with an unknown `kid`. Retired keys
 * stay published until every token they signed has expired. The hot path reads only memory.
 */
export class SigningKeys {
  readonly #options: SigningKeysOptions;
  #current = new Map<KeyUse, ActiveSigningKey>();
  #published = new Map<KeyUse, { jwk: JWK; until: number | null }[]>();
  #verifiers = new Map<KeyUse, { kids: string; resolve: ReturnType<typeof createLocalJWKSet> }>();
  #unsubscribe: () => void = () => {};

  private constructor(options: SigningKeysOptions) {
    this.#options = options;
  }

  static async open(options: SigningKeysOptions): Promise<SigningKeys> {
    const keys = new SigningKeys(options);
    await keys.#ensureKeys();
    await keys.reload();
    keys.#unsubscribe = options.bus.subscribe(CHANGED, () => {
      keys.reload().catch(() => {});
    });
    return keys;
  }

  close(): void {
    this.#unsubscribe();
    for (const key of this.#current.values()) key.retire();
  }

  async #ensureKeys(): Promise<void> {
    const rows = await listSigningKeys(this.#options.db);
    for (const use of KEY_USES) {
      for (const state of ['current', 'next'] as const) {
        if (rows.some((r) => r.use === use && r.state === state)) continue;
        try {
          await this.#insertNew(use, state, this.#options.alg);
        } catch {
          // Another node created it first (one current and one next per use is a unique index).
        }
      }
    }
  }

  async #insertNew(use: KeyUse, state: 'current' | 'next', alg: SigningAlgorithm, db = this.#options.db): Promise<SigningKeyRow> {
    const key = await generateSigningKey(alg);
    const now = Date.now();
    const row: SigningKeyRow = {
      kid: key.kid,
      use,
      alg,
      state,
      public_jwk: JSON.stringify(key.publicJwk),
      private_sealed: await this.#options.envelope.seal(JSON.stringify(key.privateJwk), sealContext(key.kid)),
      created_at: now,
      activated_at: state === 'current' ? now : null,
      retired_at: null,
      published_until: null,
    };
    await insertSigningKey(db, row);
    return row;
  }

  /** Re-reads the keys from the database; runs on start-up and on every `keys.changed` event. */
  async reload(): Promise<void> {
    const now = Date.now();
    const rows = await listSigningKeys(this.#options.db);
    const current = new Map<KeyUse, ActiveSigningKey>();
    const published = new Map<KeyUse, { jwk: JWK; until: number | null }[]>();
    for (const row of rows) {
      const use = row.use as KeyUse;
      if (row.state === 'retired' && (row.published_until ?? 0) <= now) continue;
      const entry = { jwk: JSON.parse(row.public_jwk) as JWK, until: row.published_until };
      published.set(use, [...(published.get(use) ?? []), entry]);
      if (row.state === 'current') {
        const still = this.#current.get(use);
        if (still?.kid === row.kid) {
          current.set(use, still);
          continue;
        }
        const jwk = JSON.parse(await this.#options.envelope.open(row.private_sealed, sealContext(row.kid))) as JWK;
        current.set(
          use,
          await activeKey(row.kid, row.alg as SigningAlgorithm, createPrivateKey({ key: jwk, format: 'jwk' }), jwsThread),
        );
      }
    }
    const kept = new Set(current.values());
    for (const key of this.#current.values()) if (!kept.has(key)) key.retire();
    this.#current = current;
    this.#published = published;
  }

  /** The key that signs for `use` now. */
  current(use: KeyUse): ActiveSigningKey {
    const key = this.#current.get(use);
    if (!key) throw new Error(`no current signing key for ${use}`);
    return key;
  }

  /** The public keys verifiers may meet: current, next, and retired ones still inside their window. */
  jwks(use: KeyUse): { keys: JWK[] } {
    const now = Date.now();
    const entries = this.#published.get(use) ?? [];
    return { keys: entries.filter((e) => e.until === null || e.until > now).map((e) => e.jwk) };
  }

  /**
   * A `jose` key resolver over the published keys of `use`, for verifying our own JWTs. Built once
   * per key set (not per request) and rebuilt when a key is added or its publication ends.
   */
  verifier(use: KeyUse): ReturnType<typeof createLocalJWKSet> {
    const jwks = this.jwks(use);
    const kids = jwks.keys.map((k) => k.kid).join(' ');
    const cached = this.#verifiers.get(use);
    if (cached?.kids === kids) return cached.resolve;
    const resolve = createLocalJWKSet(jwks);
    this.#verifiers.set(use, { kids, resolve });
    return resolve;
  }

  async list(): Promise<SigningKeyView[]> {
    const rows = await listSigningKeys(this.#options.db);
    return rows.map((r) => ({
      kid: r.kid,
      use: r.use as KeyUse,
      alg: r.alg as SigningAlgorithm,
      state: r.state as SigningKeyView['state'],
      created_at: new Date(r.created_at).toISOString(),
      activated_at: iso(r.activated_at),
      retired_at: iso(r.retired_at),
      published_until: iso(r.published_until),
    }));
  }

  /**
   * current → retired (published until its tokens expire), next → current, and a new next
   * (with `alg`, or the configured algorithm) is published for the rotation after this one.
   */
  async rotate(use: KeyUse, alg?: SigningAlgorithm): Promise<{ current: string; next: string }> {
    const { db } = this.#options;
    const result = await db.transaction().execute(async (trx) => {
      const rows = (await listSigningKeys(trx)).filter((r) => r.use === use);
      const current = rows.find((r) => r.state === 'current');
      const next = rows.find((r) => r.state === 'next');
      if (!current || !next) throw new Conflict(`the ${use} keys are incomplete; restart the server to repair them`);
      const now = Date.now();
      const retired = await moveSigningKey(trx, current.kid, 'current', 'retired', {
        retired_at: now,
        published_until: now + this.#options.maxTokenLifetimeMs,
      });
      const promoted = retired && (await moveSigningKey(trx, next.kid, 'next', 'current', { activated_at: now }));
      if (!promoted) throw new Conflict(`another rotation of the ${use} keys is in progress; try again`);
      const fresh = await this.#insertNew(use, 'next', alg ?? this.#options.alg, trx);
      await deleteExpiredSigningKeys(trx, now);
      return { current: next.kid, next: fresh.kid };
    });
    await this.#options.bus.publish(CHANGED, { use });
    await this.reload();
    return result;
  }
}

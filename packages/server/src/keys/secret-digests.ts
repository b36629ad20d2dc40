import { createHmac, createSecretKey, hkdfSync, type KeyObject, timingSafeEqual } from 'node:crypto';

export type DigestPurpose =
  | 'admin-key'
  | 'client-secret'
  | 'refresh-token'
  | 'registration-token'
  | 'initial-access-token'
  | 'session'
  | 'browser'
  | 'authorization-code'
  | 'logout-confirmation'
  | 'par'
  | 'dpop-nonce'
  | 'attestation-challenge';

/**
 * Keyed digests of high-entropy secrets (admin keys, client secrets, refresh tokens). The random
 * values carry ≥ 256 bits, so a fast keyed hash is the right store (a slow password hash adds
 * nothing); the key, derived from the master key per purpose, means a copy of the database alone
 * cannot even test a guess.
 */
export class SecretDigests {
  // KeyObjects, not Buffers: HMAC with a raw Buffer key re-imports it on every call (≈5× slower).
  readonly #keys = new Map<DigestPurpose, KeyObject>();
  readonly #masterKey: Uint8Array;

  constructor(masterKey: Uint8Array) {
    this.#masterKey = masterKey;
  }

  #key(purpose: DigestPurpose): KeyObject {
    let key = this.#keys.get(purpose);
    if (!key) {
      key = createSecretKey(
        Buffer.from(hkdfSync('sha256', this.#masterKey, Buffer.alloc(0), `portcullis ${purpose} digest v1`, 32)),
      );
      this.#keys.set(purpose, key);
    }
    return key;
  }

  digest(purpose: DigestPurpose, value: string): string {
    return createHmac('sha256', this.#key(purpose)).update(value, 'utf8').digest('base64url');
  }

  /** HMAC-SHA-256 of `data` under the purpose's key (a seal on a value the server hands out and takes back). */
  mac(purpose: DigestPurpose, data: Uint8Array): Buffer {
    return createHmac('sha256', this.#key(purpose)).update(data).digest();
  }

  /** Constant-time comparison of a presented value against a stored digest. */
  matches(purpose: DigestPurpose, value: string, digest: string): boolean {
    const a = Buffer.from(this.digest(purpose, value));
    const b = Buffer.from(digest);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

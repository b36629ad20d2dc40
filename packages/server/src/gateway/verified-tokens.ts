import { hash } from 'node:crypto';

interface Entry<T> {
  value: T;
  /** Milliseconds since the epoch after which the entry is useless (the token's `exp`). */
  expiresAt: number;
}

/**
 * Results of verifying tokens, keyed by a hash of the token (the table keeps no token; only each
 * open connection's last header is held, see `keyFor`), each
 * dropped when its token expires. Bounded: when full, the oldest entry goes first. A token is a
 * signed, immutable value, so its verification result stays true until it expires or is revoked,
 * and the caller checks revocation on every hit; only the per-request DPoP proof needs a signature
 * check each time.
 */
export class VerifiedTokens<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #max: number;
  readonly #lastByConnection = new WeakMap<object, { header: string; key: string }>();

  constructor(max: number) {
    this.#max = max;
  }

  /** The token's base64url SHA-256: also its DPoP `ath` (RFC 9449 §4.2), which the binding check reuses. */
  static keyOf(token: string): string {
    // One-shot hash(): no Hash object per call (about half the cost of createHash on the hot path).
    return hash('sha256', token, 'base64url');
  }

  /**
   * The key of the token in `header`: `tokenOf(header)` (which checks its syntax, and may throw)
   * hashed, or, when this connection's last request sent the same header, the key found then. A
   * keep-alive connection (an app's, or a proxy's) repeats its token headers request after
   * request, so each is parsed and hashed once per connection. The header is held until the
   * connection is gone (its requests held it anyway).
   */
  keyFor(connection: object, header: string, tokenOf: (header: string) => string): string {
    const last = this.#lastByConnection.get(connection);
    if (last !== undefined && last.header === header) return last.key;
    const key = VerifiedTokens.keyOf(tokenOf(header));
    this.#lastByConnection.set(connection, { header, key });
    return key;
  }

  get(key: string, now: number): T | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: T, expiresAt: number): void {
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expiresAt });
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}

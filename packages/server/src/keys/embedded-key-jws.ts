import { constants, createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { verifyJws, verifyJwsInTurn } from './jws-signature.ts';

// JWK members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];
const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** How node:crypto verifies each JWS algorithm (RFC 7518 §3.3–§3.5, RFC 8037 §3.1). */
const VERIFY: Record<string, { hash: string | null; pss?: true }> = {
  ES256: { hash: 'sha256' },
  ES384: { hash: 'sha384' },
  ES512: { hash: 'sha512' },
  RS256: { hash: 'sha256' },
  RS384: { hash: 'sha384' },
  RS512: { hash: 'sha512' },
  PS256: { hash: 'sha256', pss: true },
  PS384: { hash: 'sha384', pss: true },
  PS512: { hash: 'sha512', pss: true },
  EdDSA: { hash: null },
  Ed25519: { hash: null },
};

/** Why a JWS was refused, for the caller to word in its own protocol's terms. */
export type JwsFailure =
  | 'not_jws'
  | 'no_jwk'
  | 'private_jwk'
  | 'alg_not_allowed'
  | 'wrong_typ'
  | 'crit_not_understood'
  | 'unusable_key'
  | 'bad_signature'
  | 'payload_not_object';

export class JwsRejected extends Error {
  readonly failure: JwsFailure;
  constructor(failure: JwsFailure) {
    super(failure);
    this.failure = failure;
  }
}

/** A key carried in a protected header, checked and imported once: its JWK, RFC 7638 thumbprint, and a signature check. */
export interface EmbeddedKey {
  jwk: JWK;
  jkt: string;
  verify(input: Buffer, signature: Buffer): boolean | Promise<boolean>;
}

export interface EmbeddedKeyJwsOptions {
  /** Allowed `alg` values (any of VERIFY's); never `none`, never an HMAC. */
  algorithms: readonly string[];
  /** Whether the protected header's `typ` is the one this kind of JWS must carry. */
  isTyp(typ: unknown): boolean;
  /** How many imported keys are kept, by protected header; the oldest goes first. */
  maxKeys?: number;
  /**
   * Check ECDSA and EdDSA signatures with the turn's other checks (`verify-tier.ts`), on libuv's
   * thread pool when a turn has several, instead of each in place.
   */
  inTurn?: boolean;
}

/**
 * RFC 7515 §4.1.11: a `crit` header lists extensions the verifier must understand, or refuse the
 * JWS. The only one is RFC 7797's `b64`, and a JWT's payload is always encoded (RFC 7797 §7), so
 * `b64` must then be true. Without `crit`, `b64` has no effect (RFC 7797 §6).
 */
function critIsUnderstood(header: Record<string, unknown>): boolean {
  if (!('crit' in header)) return true;
  const crit = header.crit;
  if (!Array.isArray(crit) || crit.length === 0) return false;
  if (!crit.every((name) => name === 'b64' && name in header)) return false;
  return header.b64 === true;
}

/**
 * Compact JWS signed by the key in its own `jwk` header (RFC 7515 §4.1.3): DPoP proofs (RFC 9449)
 * and `software` attestation evidence. A device signs every such JWS with one key, so its
 * protected header repeats: everything in it is checked, and its key imported by jose (which
 * checks the key type and curve match `alg`), once per header. The signature, which differs every
 * time, is checked with node:crypto each time, over canonical base64url only, so one signature has
 * one spelling. RSA keys need at least 2048 bits (RFC 7518 §3.3). A differential test holds the
 * verdicts to jose's.
 */
export class EmbeddedKeyJws {
  readonly #algorithms: readonly string[];
  readonly #isTyp: (typ: unknown) => boolean;
  readonly #maxKeys: number;
  readonly #inTurn: boolean;
  readonly #keys = new Map<string, Promise<EmbeddedKey>>();

  constructor(options: EmbeddedKeyJwsOptions) {
    this.#algorithms = options.algorithms;
    this.#isTyp = options.isTyp;
    this.#maxKeys = options.maxKeys ?? 10_000;
    this.#inTurn = options.inTurn ?? false;
  }

  /** Verifies `jws` (RFC 7515 §5.2) and returns its key and its payload, a JSON object; throws `JwsRejected`. */
  async verify(jws: string): Promise<{ key: EmbeddedKey; payload: Record<string, unknown> }> {
    const parts = jws.split('.');
    if (parts.length !== 3) throw new JwsRejected('not_jws');
    const [header, body, signature] = parts as [string, string, string];
    if (!SEGMENT.test(header) || !SEGMENT.test(body)) throw new JwsRejected('not_jws');
    // The header first, so that `alg: none` (no signature) is refused for what it is.
    const key = await this.#keyOf(header, jws);
    // Canonical base64url only (RFC 7515 §2, RFC 4648 §3.5: no padding, unused bits zero).
    const signatureBytes = Buffer.from(signature, 'base64url');
    if (!SEGMENT.test(signature) || signatureBytes.toString('base64url') !== signature) throw new JwsRejected('bad_signature');
    // A check made in place answers at once; only one made with the turn's others is awaited.
    const verdict = key.verify(Buffer.from(`${header}.${body}`, 'ascii'), signatureBytes);
    if (!(typeof verdict === 'boolean' ? verdict : await verdict)) throw new JwsRejected('bad_signature');
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      payload = undefined;
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw new JwsRejected('payload_not_object');
    return { key, payload: payload as Record<string, unknown> };
  }

  #keyOf(headerSegment: string, jws: string): Promise<EmbeddedKey> {
    let key = this.#keys.get(headerSegment);
    if (!key) {
      key = this.#importKey(jws);
      if (this.#keys.size >= this.#maxKeys) this.#keys.delete(this.#keys.keys().next().value as string);
      this.#keys.set(headerSegment, key);
      const imported = key;
      // A refused header is not kept (the next JWS with it is checked afresh); a newer entry is.
      key.catch(() => {
        if (this.#keys.get(headerSegment) === imported) this.#keys.delete(headerSegment);
      });
    }
    return key;
  }

  async #importKey(jws: string): Promise<EmbeddedKey> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(jws);
    } catch {
      throw new JwsRejected('not_jws');
    }
    const { jwk, alg } = header;
    if (typeof jwk !== 'object' || jwk === null) throw new JwsRejected('no_jwk');
    if (PRIVATE_MEMBERS.some((member) => member in jwk)) throw new JwsRejected('private_jwk');
    if (typeof alg !== 'string' || !this.#algorithms.includes(alg) || !(alg in VERIFY)) throw new JwsRejected('alg_not_allowed');
    if (!this.#isTyp(header.typ)) throw new JwsRejected('wrong_typ');
    if (!critIsUnderstood(header)) throw new JwsRejected('crit_not_understood');
    let key: KeyObject;
    try {
      const imported = await importJWK({ ...jwk, ext: true }, alg);
      if (imported instanceof Uint8Array) throw new Error('symmetric');
      key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    } catch {
      throw new JwsRejected('unusable_key');
    }
    const bits = key.asymmetricKeyDetails?.modulusLength;
    if (bits !== undefined && bits < 2048) throw new JwsRejected('unusable_key');
    const how = VERIFY[alg] as (typeof VERIFY)[string];
    const pss = { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
    return {
      jwk,
      jkt: await calculateJwkThumbprint(jwk, 'sha256'),
      verify: how.pss
        ? (input, signature) => {
            try {
              return verify(how.hash, input, pss, signature);
            } catch {
              return false;
            }
          }
        : this.#inTurn
          ? (input, signature) => verifyJwsInTurn(alg, how.hash, key, input, signature)
          : (input, signature) => verifyJws(alg, how.hash, key, input, signature),
    };
  }
}

import { constants, createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { InvalidDpopProof } from './dpop-errors.ts';

/** RFC 9449 §4.2: asymmetric JWS algorithms only; never `none`, never an HMAC. Discovery lists these. */
export const DPOP_ALGS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA', 'Ed25519'];
// JWK members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];
const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** How node:crypto verifies each JWS algorithm (RFC 7518 §3.3–§3.5, RFC 8037 §3.1). */
const VERIFY: Record<string, { hash: string | null; dsaEncoding?: 'ieee-p1363'; pss?: true }> = {
  ES256: { hash: 'sha256', dsaEncoding: 'ieee-p1363' },
  ES384: { hash: 'sha384', dsaEncoding: 'ieee-p1363' },
  ES512: { hash: 'sha512', dsaEncoding: 'ieee-p1363' },
  RS256: { hash: 'sha256' },
  RS384: { hash: 'sha384' },
  RS512: { hash: 'sha512' },
  PS256: { hash: 'sha256', pss: true },
  PS384: { hash: 'sha384', pss: true },
  PS512: { hash: 'sha512', pss: true },
  EdDSA: { hash: null },
  Ed25519: { hash: null },
};

/** A proof key, checked and imported once: its JWK, RFC 7638 thumbprint, and a signature check. */
export interface ProofKey {
  jwk: JWK;
  jkt: string;
  verify(input: Buffer, signature: Buffer): boolean;
}

/** RFC 7515 §4.1.9 as jose reads `typ`: case-insensitive, `application/` optional. */
const isDpopTyp = (typ: unknown) => typeof typ === 'string' && typ.toLowerCase().replace(/^application\//, '') === 'dpop+jwt';

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
 * Everything about a proof that lives in its protected header, checked once per header (an app
 * makes every proof with one key, so the header repeats): a JWS header (jose decodes it) with
 * `typ` dpop+jwt, an allowed `alg`, only a `crit` we understand, and a public `jwk` that jose imports for that `alg` (which checks the
 * key type and curve match it); RSA keys have at least 2048 bits (RFC 7518 §3.3).
 */
async function importProofKey(proof: string): Promise<ProofKey> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw new InvalidDpopProof('the DPoP header is not a JWT');
  }
  const { jwk, alg } = header;
  if (typeof jwk !== 'object' || jwk === null) throw new InvalidDpopProof('the DPoP proof has no jwk header');
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) throw new InvalidDpopProof('the DPoP jwk header must be a public key');
  if (typeof alg !== 'string' || !DPOP_ALGS.includes(alg))
    throw new InvalidDpopProof('the DPoP proof was rejected (ERR_JOSE_ALG_NOT_ALLOWED)');
  if (!isDpopTyp(header.typ)) throw new InvalidDpopProof('the DPoP proof was rejected (ERR_JWT_CLAIM_VALIDATION_FAILED)');
  if (!critIsUnderstood(header)) throw new InvalidDpopProof('the DPoP proof was rejected (ERR_JOSE_NOT_SUPPORTED)');
  let key: KeyObject;
  try {
    const imported = await importJWK({ ...jwk, ext: true }, alg);
    if (imported instanceof Uint8Array) throw new Error('symmetric');
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    throw new InvalidDpopProof('the DPoP jwk header is not a usable public key');
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits !== undefined && bits < 2048) throw new InvalidDpopProof('the DPoP jwk header is not a usable public key');
  const how = VERIFY[alg] as (typeof VERIFY)[string];
  const options = {
    key,
    ...(how.dsaEncoding ? { dsaEncoding: how.dsaEncoding } : {}),
    ...(how.pss ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } : {}),
  };
  return {
    jwk,
    jkt: await calculateJwkThumbprint(jwk, 'sha256'),
    verify(input, signature) {
      try {
        return verify(how.hash, input, options, signature);
      } catch {
        return false;
      }
    },
  };
}

/** Imported keys by protected header; bounded, the oldest entry goes first. */
const proofKeys = new Map<string, Promise<ProofKey>>();
const MAX_PROOF_KEYS = 10_000;

function proofKeyOf(headerSegment: string, proof: string): Promise<ProofKey> {
  let key = proofKeys.get(headerSegment);
  if (!key) {
    key = importProofKey(proof);
    if (proofKeys.size >= MAX_PROOF_KEYS) proofKeys.delete(proofKeys.keys().next().value as string);
    proofKeys.set(headerSegment, key);
    key.catch(() => proofKeys.delete(headerSegment));
  }
  return key;
}

/**
 * Verifies a DPoP proof's JWS (RFC 7515 §5.2) and returns its key and claims. The header is
 * checked and its key imported by jose once per header (above); the signature, which differs on
 * every proof, is checked here with node:crypto on every proof — the hot path of a gateway that
 * sees one proof per request. The payload must be a JSON object whose `exp`/`nbf`, if present,
 * hold now (as jose's jwtVerify requires). A differential test holds this to jose's verdicts.
 */
export async function verifyProofSignature(proof: string): Promise<{ key: ProofKey; payload: Record<string, unknown> }> {
  const parts = proof.split('.');
  if (parts.length !== 3) throw new InvalidDpopProof('the DPoP header is not a JWT');
  const [header, body, signature] = parts as [string, string, string];
  if (!SEGMENT.test(header) || !SEGMENT.test(body)) throw new InvalidDpopProof('the DPoP header is not a JWT');
  // The header first, so that `alg: none` (no signature) is refused for what it is.
  const key = await proofKeyOf(header, proof);
  // Canonical base64url only (RFC 7515 §2, RFC 4648 §3.5: no padding, unused bits zero), so one
  // signature has one spelling.
  const signatureBytes = Buffer.from(signature, 'base64url');
  if (!SEGMENT.test(signature) || signatureBytes.toString('base64url') !== signature)
    throw new InvalidDpopProof('the DPoP proof was rejected (ERR_JWS_SIGNATURE_VERIFICATION_FAILED)');
  if (!key.verify(Buffer.from(`${header}.${body}`, 'ascii'), signatureBytes))
    throw new InvalidDpopProof('the DPoP proof was rejected (ERR_JWS_SIGNATURE_VERIFICATION_FAILED)');
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    payload = undefined;
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new InvalidDpopProof('the DPoP proof was rejected (ERR_JWT_INVALID)');
  const claims = payload as Record<string, unknown>;
  const now = Math.floor(Date.now() / 1000);
  if ('exp' in claims && (typeof claims.exp !== 'number' || claims.exp <= now))
    throw new InvalidDpopProof('the DPoP proof was rejected (ERR_JWT_EXPIRED)');
  if ('nbf' in claims && (typeof claims.nbf !== 'number' || claims.nbf > now))
    throw new InvalidDpopProof('the DPoP proof was rejected (ERR_JWT_CLAIM_VALIDATION_FAILED)');
  return { key, payload: claims };
}

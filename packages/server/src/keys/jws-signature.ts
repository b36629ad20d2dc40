import { type KeyObject, sign, verify } from 'node:crypto';
import ecdsaSigFormatter from 'ecdsa-sig-formatter';
import { verifyInTurn } from './verify-tier.ts';

/**
 * JWS signatures (RFC 7515 §5) made and checked with node:crypto on the event loop, with the key
 * object passed bare and ECDSA signatures in DER, converted to and from JWS's fixed-width r‖s
 * (RFC 7518 §3.4) by `ecdsa-sig-formatter`.
 *
 * Why not `{ key, dsaEncoding: 'ieee-p1363' }`: on Node 24 that form costs more than the
 * signature itself. Measured on this project's 2-core machine (Node 24.21, OpenSSL 3.5.8), P-256:
 * sign 102–110 µs with the options object and r‖s output, 45–54 µs bare and DER plus the
 * conversion; verify 170–190 µs against 104–111 µs. The options object has Node build (and drop) a
 * TypeError with a captured stack on every call while it works out the key's kind, and r‖s output
 * has it build the curve's group to learn the order's size. Node 20 (OpenSSL 3.0) shows neither.
 * WebCrypto's ECDSA costs the same plus a thread-pool round trip.
 */

/** Bytes of r and of s per ECDSA JWS algorithm (RFC 7518 §3.4). */
const ECDSA_HALF: Record<string, number> = { ES256: 32, ES384: 48, ES512: 66 };

/** The JWS signature (base64url) of `input`: ES256/384/512 or EdDSA (Ed25519), as `alg` says. */
export function signJws(alg: string, hash: string | null, key: KeyObject, input: Buffer): string {
  const signature = sign(hash, input, key);
  return alg in ECDSA_HALF ? ecdsaSigFormatter.derToJose(signature, alg) : signature.toString('base64url');
}

/**
 * `signJws` on libuv's thread pool (node:crypto's callback form): the event loop spends about
 * 15–19 µs a signature instead of 33–50 when several are in flight, the pool thread the rest.
 */
export function signJwsOnPool(
  alg: string,
  hash: string | null,
  key: KeyObject,
  input: Buffer,
  done: (err: Error | null, signature?: string) => void,
): void {
  sign(hash, input, key, (err, signature) => {
    if (err) done(err);
    else done(null, alg in ECDSA_HALF ? ecdsaSigFormatter.derToJose(signature, alg) : signature.toString('base64url'));
  });
}

/**
 * The signature as node:crypto checks it: an ECDSA signature must be exactly r‖s at the
 * algorithm's width (RFC 7518 §3.4) and becomes DER; anything else is null. Others pass as they are.
 */
function checkable(alg: string, signature: Buffer): Buffer | null {
  const half = ECDSA_HALF[alg];
  if (half === undefined) return signature;
  if (signature.length !== 2 * half) return null;
  try {
    return ecdsaSigFormatter.joseToDer(signature, alg);
  } catch {
    return null;
  }
}

/**
 * Whether `signature` (the decoded JWS signature) is `key`'s over `input`. An ECDSA signature must
 * be exactly r‖s at the algorithm's width (RFC 7518 §3.4); anything else is false, never an error.
 */
export function verifyJws(alg: string, hash: string | null, key: KeyObject, input: Buffer, signature: Buffer): boolean {
  const der = checkable(alg, signature);
  if (der === null) return false;
  try {
    return verify(hash, input, key, der);
  } catch {
    return false;
  }
}

/** `verifyJws` made with the turn's other checks (`verify-tier.ts`): on the thread pool when several. */
export function verifyJwsInTurn(
  alg: string,
  hash: string | null,
  key: KeyObject,
  input: Buffer,
  signature: Buffer,
): Promise<boolean> {
  const der = checkable(alg, signature);
  return der === null ? Promise.resolve(false) : verifyInTurn(hash, key, input, der);
}

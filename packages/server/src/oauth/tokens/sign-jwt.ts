import type { SigningAlgorithm } from '@portcullis/protocol';
import type { ActiveSigningKey } from '../../keys/index.ts';
import { signJws } from '../../keys/jws-signature.ts';

const b64 = (value: string) => Buffer.from(value).toString('base64url');

/** The digest node:crypto signs with, for the algorithms signed on the event loop (RFC 7518 §3.4, RFC 8037 §3.1). */
const ON_LOOP: Partial<Record<SigningAlgorithm, string | null>> = { ES256: 'sha256', EdDSA: null };

/**
 * Compact JWS (RFC 7515 §7.1) with no general-purpose JOSE builder on the hot path. ES256 and
 * EdDSA sign on the event loop (tens of µs; see keys/jws-signature.ts for why not WebCrypto);
 * RS256, at about a millisecond a signature, goes through WebCrypto to the libuv thread pool so the
 * event loop keeps serving requests meanwhile. Every token it makes is verified with `jose` in the tests.
 */
export async function signJwt(key: ActiveSigningKey, typ: string, payload: Record<string, unknown>): Promise<string> {
  const input = `${key.encodedHeader(typ)}.${b64(JSON.stringify(payload))}`;
  const hash = ON_LOOP[key.alg];
  if (hash !== undefined) return `${input}.${signJws(key.alg, hash, key.privateKey, Buffer.from(input))}`;
  const signature = await crypto.subtle.sign(key.webCryptoAlgorithm, key.cryptoKey, Buffer.from(input));
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}

import type { ActiveSigningKey } from '../../keys/index.ts';

const b64 = (value: string) => Buffer.from(value).toString('base64url');

/**
 * Compact JWS (RFC 7515 §7.1) signed through Node's WebCrypto, which runs the signature on the
 * libuv thread pool: the event loop keeps serving requests while another core signs, and there is
 * no general-purpose JOSE builder on the hot path. WebCrypto's ECDSA output is already the raw
 * r‖s form JWS requires (RFC 7518 §3.4). Every token it makes is verified with `jose` in the tests.
 */
export async function signJwt(key: ActiveSigningKey, typ: string, payload: Record<string, unknown>): Promise<string> {
  const input = `${key.encodedHeader(typ)}.${b64(JSON.stringify(payload))}`;
  const signature = await crypto.subtle.sign(key.webCryptoAlgorithm, key.cryptoKey, Buffer.from(input));
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}

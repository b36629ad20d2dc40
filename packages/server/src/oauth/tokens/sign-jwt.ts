import type { ActiveSigningKey } from '../../keys/index.ts';

const b64 = (value: string) => Buffer.from(value).toString('base64url');

/**
 * Compact JWS (RFC 7515 §7.1) with no general-purpose JOSE builder on the hot path: the header is
 * the key's, computed once per `typ`, and the key signs (keys/signing-keys.ts says where). Every
 * token it makes is verified with `jose` in the tests.
 */
export async function signJwt(key: ActiveSigningKey, typ: string, payload: Record<string, unknown>): Promise<string> {
  const input = `${key.encodedHeader(typ)}.${b64(JSON.stringify(payload))}`;
  return `${input}.${await key.sign(input)}`;
}

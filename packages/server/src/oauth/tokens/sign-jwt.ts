import { sign } from 'node:crypto';
import type { ActiveSigningKey } from '../../keys/index.ts';

const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/**
 * Compact JWS (RFC 7515 §7.1) signed with node:crypto directly: on the token hot path this is
 * about twice as fast as a general-purpose JOSE builder. Every token it makes is verified with
 * `jose` in the tests. ES256 signatures are the raw r‖s form JWS requires (RFC 7518 §3.4).
 */
export function signJwt(key: ActiveSigningKey, typ: string, payload: Record<string, unknown>): string {
  const header = b64(JSON.stringify({ alg: key.alg, typ, kid: key.kid }));
  const input = `${header}.${b64(JSON.stringify(payload))}`;
  const data = Buffer.from(input);
  let signature: Buffer;
  switch (key.alg) {
    case 'ES256':
      signature = sign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
      break;
    case 'RS256':
      signature = sign('sha256', data, key.privateKey);
      break;
    case 'EdDSA':
      signature = sign(null, data, key.privateKey);
      break;
  }
  return `${input}.${signature.toString('base64url')}`;
}

import { type JWTPayload, jwtVerify } from 'jose';
import type { SigningKeys } from '../keys/index.ts';
import type { Client } from './clients/client.ts';
import { boundJkt } from './dpop/check-resource-proof.ts';
import type { OAuth } from './oauth.ts';

export interface IntrospectionResponse {
  active: boolean;
  [claim: string]: unknown;
}

const INACTIVE: IntrospectionResponse = { active: false };

/**
 * Verifies one of our JWT access tokens: signature by a published token key, `typ` at+jwt, this
 * issuer, not expired, not revoked, its client still registered. Null when any check fails.
 */
export async function verifyAccessToken(
  token: string,
  issuer: string,
  keys: SigningKeys,
  oauth: OAuth,
): Promise<JWTPayload | null> {
  try {
    const { payload } = await jwtVerify(token, keys.verifier('token'), {
      issuer,
      typ: 'at+jwt',
      algorithms: ['ES256', 'EdDSA', 'RS256'],
      requiredClaims: ['exp', 'jti', 'client_id', 'sub'],
    });
    if (oauth.revocations.isRevoked(String(payload.jti))) return null;
    if (!oauth.clients.find(String(payload.client_id))) return null;
    return payload;
  } catch {
    return null;
  }
}

/**
 * RFC 7662 §2.2. Anything unknown, expired, revoked or malformed is exactly `{"active": false}`.
 * A refresh token is only described to the client it was issued to.
 */
export async function introspect(
  caller: Client,
  token: string,
  issuer: string,
  keys: SigningKeys,
  oauth: OAuth,
): Promise<IntrospectionResponse> {
  if (token.startsWith('pcr_')) {
    const found = await oauth.grants.findRefreshToken(token);
    if (!found || found.token.client_id !== caller.clientId) return INACTIVE;
    return {
      active: true,
      token_type: 'refresh_token',
      client_id: found.token.client_id,
      sub: found.grant.user_id ?? found.token.client_id,
      scope: found.token.scope,
      iat: Math.floor(found.token.created_at / 1000),
      exp: Math.floor(Math.min(found.token.expires_at, found.grant.expires_at) / 1000),
      iss: issuer,
    };
  }
  const payload = await verifyAccessToken(token, issuer, keys, oauth);
  if (!payload) return INACTIVE;
  return { ...payload, active: true, token_type: boundJkt(payload) ? 'DPoP' : 'Bearer' };
}

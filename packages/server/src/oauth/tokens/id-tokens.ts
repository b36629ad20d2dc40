import { createHash } from 'node:crypto';
import type { UserView } from '@portcullis/protocol';
import type { SigningKeys } from '../../keys/index.ts';
import { signJwt } from './sign-jwt.ts';

export const ID_TOKEN_LIFETIME_S = 300;

/** Claims released by scope (OIDC Core §5.4). */
export function userClaims(user: UserView, scope: string): Record<string, unknown> {
  const scopes = new Set(scope.split(' '));
  const claims: Record<string, unknown> = { sub: user.id };
  if (scopes.has('profile')) {
    const name = [user.given_name, user.family_name].filter(Boolean).join(' ');
    if (name) claims.name = name;
    if (user.given_name) claims.given_name = user.given_name;
    if (user.family_name) claims.family_name = user.family_name;
    claims.preferred_username = user.username;
    claims.updated_at = Math.floor(Date.parse(user.updated_at) / 1000);
  }
  if (scopes.has('email') && user.email) {
    claims.email = user.email;
    // Nothing here has verified the address yet.
    claims.email_verified = false;
  }
  return claims;
}

/** OIDC Core §3.1.3.6 / §3.3.2.11: left half of the hash of the ASCII value, base64url. */
export function halfHash(value: string, alg: string): string {
  const digest = createHash(alg === 'EdDSA' ? 'sha512' : 'sha256')
    .update(value, 'ascii')
    .digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

export interface IdTokenRequest {
  issuer: string;
  clientId: string;
  user: UserView;
  scope: string;
  authTime: number;
  nonce?: string | null | undefined;
  sid?: string | null | undefined;
  accessToken?: string | undefined;
  code?: string | undefined;
}

/** OIDC Core §2: iss, sub, aud, exp, iat, auth_time, nonce, azp, sid, at_hash, c_hash, and the claims of the scope. */
export async function issueIdToken(keys: SigningKeys, r: IdTokenRequest): Promise<string> {
  const key = keys.current('token');
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    ...userClaims(r.user, r.scope),
    iss: r.issuer,
    aud: r.clientId,
    azp: r.clientId,
    iat: now,
    exp: now + ID_TOKEN_LIFETIME_S,
    auth_time: Math.floor(r.authTime / 1000),
  };
  if (r.nonce) payload.nonce = r.nonce;
  if (r.sid) payload.sid = r.sid;
  if (r.accessToken) payload.at_hash = halfHash(r.accessToken, key.alg);
  if (r.code) payload.c_hash = halfHash(r.code, key.alg);
  return signJwt(key, 'JWT', payload);
}

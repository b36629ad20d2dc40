import { randomUUID } from 'node:crypto';
import type { SigningKeys } from '../../keys/index.ts';
import { signJwt } from './sign-jwt.ts';

export interface AccessTokenRequest {
  issuer: string;
  clientId: string;
  /** The user's id, or absent for a token a client obtained for itself. */
  userId?: string | undefined;
  scope: string;
  audience: string | string[];
  lifetime: number;
  authTime?: number | undefined;
  /** RFC 9449 §6 / RFC 8705 §3.1 confirmation, when the token is sender-constrained. */
  cnf?: Record<string, string> | undefined;
}

export interface IssuedAccessToken {
  token: string;
  jti: string;
  expiresAt: number;
}

/**
 * JWT access tokens per RFC 9068: `typ` at+jwt; iss, exp, aud, sub, client_id, iat, jti, scope,
 * auth_time when a user authenticated, cnf when bound. A token a client got for itself has
 * `sub` = its client_id (RFC 9068 §2.2) and no `auth_time`; user ids are UUIDs and client ids
 * start with `pc_`, so the two can never be confused.
 */
export async function issueAccessToken(keys: SigningKeys, request: AccessTokenRequest): Promise<IssuedAccessToken> {
  const now = Math.floor(Date.now() / 1000);
  // 122 random bits from Node's buffered CSPRNG pool: unique, and cheap on the hot path.
  const jti = randomUUID();
  const exp = now + request.lifetime;
  const payload: Record<string, unknown> = {
    iss: request.issuer,
    sub: request.userId ?? request.clientId,
    aud: request.audience,
    client_id: request.clientId,
    iat: now,
    exp,
    jti,
  };
  // RFC 9068 §2.2.3: the scope claim carries what was granted; an empty grant has none.
  if (request.scope) payload.scope = request.scope;
  if (request.authTime !== undefined) payload.auth_time = Math.floor(request.authTime / 1000);
  if (request.cnf) payload.cnf = request.cnf;
  return { token: await signJwt(keys.current('token'), 'at+jwt', payload), jti, expiresAt: exp * 1000 };
}

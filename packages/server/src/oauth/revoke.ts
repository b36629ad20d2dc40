import { OAuthError } from '../http/errors.ts';
import type { SigningKeys } from '../keys/index.ts';
import type { Client } from './clients/client.ts';
import { verifyAccessToken } from './introspect.ts';
import type { OAuth } from './oauth.ts';

/**
 * RFC 7009. Revoking a refresh token ends its whole grant and every access token issued under it;
 * revoking an access token revokes just that token. An unknown or already invalid token is
 * answered 200 (§2.2); a token issued to another client is refused (§2.1).
 */
export async function revokeToken(caller: Client, token: string, issuer: string, keys: SigningKeys, oauth: OAuth): Promise<void> {
  if (token.startsWith('pcr_')) {
    const found = await oauth.grants.findRefreshToken(token);
    if (!found) return;
    if (found.token.client_id !== caller.clientId)
      throw new OAuthError('invalid_request', 'this token was not issued to the calling client');
    await oauth.grants.revoke(found.grant.id);
    return;
  }
  const payload = await verifyAccessToken(token, issuer, keys, oauth);
  if (!payload) return;
  if (payload.client_id !== caller.clientId)
    throw new OAuthError('invalid_request', 'this token was not issued to the calling client');
  await oauth.revocations.revokeAccessToken(String(payload.jti), (payload.exp ?? 0) * 1000);
}

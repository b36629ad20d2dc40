import type { TokenResponse } from '@portcullis/protocol';
import type { Client } from '../../clients/client.ts';
import { issueAccessToken } from '../../tokens/access-tokens.ts';
import type { GrantRow } from '../../tokens/grants-store.ts';
import { confirmationOf, type TokenContext } from '../grant-handler.ts';

/**
 * The token response for a grant a user made: a JWT access token recorded under the grant (so
 * revoking the grant revokes it) and, when the client may refresh, a refresh token.
 */
export async function issueUserTokens(
  ctx: TokenContext,
  grant: GrantRow,
  scope: string,
  audience: string | string[],
  refreshToken: string | null,
): Promise<TokenResponse> {
  const client: Client = ctx.client;
  const token = await issueAccessToken(ctx.signingKeys, {
    issuer: ctx.issuer,
    clientId: client.clientId,
    userId: grant.user_id ?? undefined,
    scope,
    audience,
    lifetime: client.accessTokenLifetime,
    authTime: grant.auth_time ?? undefined,
    cnf: confirmationOf(ctx),
  });
  await ctx.grants.recordAccessToken(grant, token.jti, token.expiresAt);
  const response: TokenResponse = {
    access_token: token.token,
    token_type: ctx.dpop ? 'DPoP' : 'Bearer',
    expires_in: client.accessTokenLifetime,
  };
  if (scope) response.scope = scope;
  if (refreshToken) response.refresh_token = refreshToken;
  return response;
}

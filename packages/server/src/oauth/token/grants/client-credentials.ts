import type { TokenResponse } from '@portcullis/protocol';
import { issueAccessToken } from '../../tokens/access-tokens.ts';
import { confirmationOf, type GrantHandler, resolveAudience, resolveScope, type TokenContext } from '../grant-handler.ts';

/**
 * RFC 6749 §4.4: a confidential client obtains a token for itself. No refresh token (§4.4.3),
 * nothing stored: the signed JWT is the whole state, which keeps this path fast.
 */
export const clientCredentialsGrant: GrantHandler = {
  grantType: 'client_credentials',
  async handle(ctx: TokenContext): Promise<TokenResponse> {
    const scope = resolveScope(ctx.client, ctx.form);
    const token = await issueAccessToken(ctx.signingKeys, {
      issuer: ctx.issuer,
      clientId: ctx.client.clientId,
      scope,
      audience: resolveAudience(ctx.form, ctx.issuer, ctx.client),
      lifetime: ctx.client.accessTokenLifetime,
      cnf: confirmationOf(ctx),
    });
    const response: TokenResponse = {
      access_token: token.token,
      token_type: ctx.dpop ? 'DPoP' : 'Bearer',
      expires_in: ctx.client.accessTokenLifetime,
    };
    if (scope) response.scope = scope;
    return response;
  },
};

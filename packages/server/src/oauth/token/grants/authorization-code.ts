import type { TokenResponse } from '@portcullis/protocol';
import { OAuthError } from '../../../http/errors.ts';
import { issueIdToken } from '../../tokens/id-tokens.ts';
import { param, requiredParam } from '../form.ts';
import { type GrantHandler, resolveAudience, type TokenContext } from '../grant-handler.ts';
import { issueUserTokens } from './issue-user-tokens.ts';

/**
 * RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.6): the code is single use, bound to the client, the
 * redirect URI and the challenge. A replayed code revokes every token the first exchange issued.
 */
export const authorizationCodeGrant: GrantHandler = {
  grantType: 'authorization_code',
  async handle(ctx: TokenContext): Promise<TokenResponse> {
    const code = requiredParam(ctx.form, 'code');
    const { codes } = ctx.oauth;
    const { row, replay } = await codes.redeem(
      code,
      ctx.client.clientId,
      param(ctx.form, 'redirect_uri'),
      param(ctx.form, 'code_verifier'),
    );
    if (replay) {
      const grantId = await codes.grantOf(row);
      if (grantId) await ctx.grants.revoke(grantId);
      throw new OAuthError('invalid_grant', 'the authorization code was already used; the tokens issued for it are revoked');
    }
    // RFC 9449 §10: a code bound with dpop_jkt is redeemed only with a proof of that key.
    if (row.dpop_jkt !== null && ctx.dpop?.jkt !== row.dpop_jkt) {
      throw new OAuthError('invalid_grant', 'the authorization code is bound to a DPoP key this request does not prove');
    }
    const user = await ctx.users.get(row.user_id).catch(() => null);
    if (user?.status !== 'active') throw new OAuthError('invalid_grant', 'the user is no longer active');
    const grant = await ctx.grants.create({ client: ctx.client, userId: row.user_id, scope: row.scope, authTime: row.auth_time });
    await codes.attachGrant(row, grant.id);
    const refresh = ctx.client.grantTypes.includes('refresh_token')
      ? await ctx.grants.issueRefreshToken(grant, ctx.client, row.scope, ctx.dpop?.jkt)
      : null;
    const response = await issueUserTokens(ctx, grant, row.scope, resolveAudience(ctx.form, ctx.issuer, ctx.client), refresh);
    if (row.scope.split(' ').includes('openid')) {
      response.id_token = await issueIdToken(ctx.signingKeys, {
        issuer: ctx.issuer,
        clientId: ctx.client.clientId,
        user,
        scope: row.scope,
        authTime: row.auth_time,
        nonce: row.nonce,
        sid: row.sid,
        accessToken: response.access_token,
      });
    }
    return response;
  },
};

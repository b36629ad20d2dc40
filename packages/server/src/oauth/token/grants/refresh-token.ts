import type { TokenResponse } from '@portcullis/protocol';
import { param, requiredParam } from '../form.ts';
import { type GrantHandler, resolveAudience, type TokenContext } from '../grant-handler.ts';
import { issueUserTokens } from './issue-user-tokens.ts';

/** RFC 6749 §6, with rotation and reuse detection for public clients (see Grants.refresh). */
export const refreshTokenGrant: GrantHandler = {
  grantType: 'refresh_token',
  async handle(ctx: TokenContext): Promise<TokenResponse> {
    const presented = requiredParam(ctx.form, 'refresh_token');
    const refreshed = await ctx.grants.refresh(ctx.client, presented, param(ctx.form, 'scope'), ctx.dpop?.jkt);
    return issueUserTokens(
      ctx,
      refreshed.grant,
      refreshed.scope,
      resolveAudience(ctx.form, ctx.issuer, ctx.client),
      refreshed.refreshToken,
    );
  },
};

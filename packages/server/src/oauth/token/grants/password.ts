import type { TokenResponse } from '@portcullis/protocol';
import { usernameKey } from '../../../directory/index.ts';
import { OAuthError } from '../../../http/errors.ts';
import { requiredParam } from '../form.ts';
import { type GrantHandler, resolveAudience, resolveScope, type TokenContext } from '../grant-handler.ts';
import { issueUserTokens } from './issue-user-tokens.ts';

/**
 * RFC 6749 §4.3, for first-party clients only (RFC 9700 §2.4 says never for third parties; the
 * client registration enforces `first_party`). Guessing is throttled per account name and per IP
 * before any password is checked, and every failure gets the same answer after the same work.
 */
export const passwordGrant: GrantHandler = {
  grantType: 'password',
  async handle(ctx: TokenContext): Promise<TokenResponse> {
    if (!ctx.client.firstParty) throw new OAuthError('unauthorized_client', 'the password grant is only for first-party clients');
    const username = requiredParam(ctx.form, 'username');
    const password = requiredParam(ctx.form, 'password');
    const scope = resolveScope(ctx.client, ctx.form);
    const audience = resolveAudience(ctx.form, ctx.issuer, ctx.client);
    const keys = { account: usernameKey(username), ip: ctx.ip };
    const wait = await ctx.throttle.admit(keys);
    if (wait > 0) {
      const error = new OAuthError('invalid_grant', `too many failed attempts; try again in ${wait} seconds`);
      error.headers['retry-after'] = String(wait);
      throw error;
    }
    const user = await ctx.users.verifyCredentials(username, password);
    if (!user) {
      throw new OAuthError('invalid_grant', 'the username or password is incorrect');
    }
    await ctx.throttle.succeeded(keys);
    const grant = await ctx.grants.create({ client: ctx.client, userId: user.id, scope, authTime: Date.now() });
    const refresh = ctx.client.grantTypes.includes('refresh_token')
      ? await ctx.grants.issueRefreshToken(grant, ctx.client, scope, ctx.dpop?.jkt)
      : null;
    return issueUserTokens(ctx, grant, scope, audience, refresh);
  },
};

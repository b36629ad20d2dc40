import type { TokenResponse } from '@portcullis/protocol';
import { OAuthError } from '../../http/errors.ts';
import type { GrantHandler, TokenContext } from './grant-handler.ts';
import { authorizationCodeGrant } from './grants/authorization-code.ts';
import { clientCredentialsGrant } from './grants/client-credentials.ts';
import { passwordGrant } from './grants/password.ts';
import { refreshTokenGrant } from './grants/refresh-token.ts';

/** The grant types this server implements; discovery advertises exactly these. */
export const GRANT_HANDLERS: ReadonlyMap<string, GrantHandler> = new Map(
  [authorizationCodeGrant, clientCredentialsGrant, passwordGrant, refreshTokenGrant].map((h) => [h.grantType, h]),
);

/** RFC 6749 §5.2: unknown → unsupported_grant_type; not registered for this client → unauthorized_client. */
export async function dispatchGrant(grantType: string, ctx: TokenContext): Promise<TokenResponse> {
  const handler = GRANT_HANDLERS.get(grantType);
  if (!handler) throw new OAuthError('unsupported_grant_type', `grant_type ${JSON.stringify(grantType)} is not supported`);
  if (!ctx.client.grantTypes.includes(handler.grantType)) {
    throw new OAuthError('unauthorized_client', `this client may not use the ${grantType} grant`);
  }
  return handler.handle(ctx);
}

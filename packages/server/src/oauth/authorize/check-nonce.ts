import { OAuthError } from '../../http/errors.ts';
import type { AuthorizationContext } from './authorization-context.ts';

// OIDC Core §3.2.2.1 / §3.3.2.11: nonce is required whenever an ID token comes from this endpoint.
export function checkNonce(ctx: AuthorizationContext): void {
  if (!ctx.request.responseType?.split(' ').includes('id_token')) return;
  if (!ctx.request.scope?.split(' ').includes('openid'))
    throw new OAuthError('invalid_scope', 'an ID token needs the openid scope');
  if (!ctx.request.nonce) {
    throw new OAuthError('invalid_request', 'nonce is required when an ID token is returned from the authorization endpoint');
  }
}

import { OAuthError } from '../../http/errors.ts';
import { param } from '../token/form.ts';
import type { AuthorizationContext } from './authorization-context.ts';

/** OpenID Connect scopes any client using the authorization endpoint may ask for. */
export const OIDC_SCOPES = ['openid', 'profile', 'email'];

// RFC 6749 §3.3: the scope must be within what the client is registered for.
export function checkScope(ctx: AuthorizationContext): void {
  const client = ctx.client!;
  const requested = param(ctx.params, 'scope');
  const wanted = requested === undefined ? [...client.scopes] : [...new Set(requested.split(' ').filter(Boolean))];
  const refused = wanted.filter((s) => !client.scopes.includes(s) && !OIDC_SCOPES.includes(s));
  if (refused.length > 0) throw new OAuthError('invalid_scope', `this client may not request ${refused.join(' ')}`);
  ctx.request.scope = wanted.join(' ');
  // Stored with the request and echoed back: bounded, so a request cannot grow storage unbounded.
  for (const name of ['state', 'nonce'] as const) {
    if ((param(ctx.params, name)?.length ?? 0) > 1024)
      throw new OAuthError('invalid_request', `${name} is longer than 1024 characters`);
  }
  ctx.request.nonce = param(ctx.params, 'nonce');
}

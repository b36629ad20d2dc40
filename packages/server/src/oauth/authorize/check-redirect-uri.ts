import { matchRedirectUri } from '../clients/check-redirect-uri.ts';
import { param } from '../token/form.ts';
import { type AuthorizationContext, UnsafeAuthorizationError } from './authorization-context.ts';

// RFC 9700 §4.1 / RFC 6749 §3.1.2.3: exact match against the registered URIs (loopback ports
// excepted, RFC 8252 §7.3). OIDC Core §3.1.2.1 makes redirect_uri required; with several
// registered URIs there is nothing to default to either.
export function checkRedirectUri(ctx: AuthorizationContext): void {
  const client = ctx.client!;
  const given = param(ctx.params, 'redirect_uri');
  ctx.request.redirectUriGiven = given !== undefined;
  if (given === undefined) {
    if (client.redirectUris.length !== 1 || param(ctx.params, 'scope')?.split(' ').includes('openid')) {
      throw new UnsafeAuthorizationError('The request has no redirect_uri.');
    }
    ctx.request.redirectUri = client.redirectUris[0];
    ctx.request.state = param(ctx.params, 'state');
    return;
  }
  if (!matchRedirectUri(client.redirectUris, given)) {
    throw new UnsafeAuthorizationError('The redirect_uri is not one this application registered.');
  }
  ctx.request.redirectUri = given;
  // From here on errors are redirected, and RFC 6749 §4.1.2.1 echoes state in every one of them.
  ctx.request.state = param(ctx.params, 'state');
}

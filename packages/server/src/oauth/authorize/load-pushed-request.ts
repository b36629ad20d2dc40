import { param } from '../token/form.ts';
import { type AuthorizationContext, UnsafeAuthorizationError } from './authorization-context.ts';
import { REQUEST_URI_PREFIX } from './pushed-requests.ts';

// RFC 9126 §4: a request_uri replaces every other parameter but client_id, which must match the
// client that pushed it. It is used once; an unknown, expired or reused one gets our error page.
export async function loadPushedRequest(ctx: AuthorizationContext): Promise<void> {
  const requestUri = param(ctx.params, 'request_uri');
  if (requestUri === undefined) return;
  const clientId = param(ctx.params, 'client_id');
  if (!requestUri.startsWith(REQUEST_URI_PREFIX) || !clientId)
    throw new UnsafeAuthorizationError('The request_uri is not valid.');
  const pushed = await ctx.services.oauth.pushedRequests.take(requestUri, clientId);
  if (!pushed)
    throw new UnsafeAuthorizationError(
      'The request_uri is unknown, expired or already used. Go back to the app and start again.',
    );
  ctx.params = { ...pushed, client_id: clientId };
}

import { OAuthError } from '../../http/errors.ts';
import type { AuthorizationContext } from './authorization-context.ts';

// First-party clients act for the user by design; every other client needs the user's consent for
// what it asks (remembered per user, client and scopes). prompt=consent always asks;
// prompt=none cannot ask (OIDC Core §3.1.2.6 consent_required).
export async function checkConsent(ctx: AuthorizationContext): Promise<void> {
  if (ctx.needsLogin) return;
  const client = ctx.client!;
  const request = ctx.request;
  let needsConsent = false;
  if (!client.firstParty) {
    needsConsent =
      request.prompt?.includes('consent') === true ||
      !(await ctx.services.oauth.consents.covers(ctx.session!.user_id, client.clientId, request.scope ?? ''));
  }
  if (needsConsent && request.prompt?.includes('none')) throw new OAuthError('consent_required', 'the user must consent');
  ctx.needsConsent = needsConsent;
}

import type { AuthorizationContext } from './authorization-context.ts';
import { checkConsent } from './check-consent.ts';
import { checkDpopJkt } from './check-dpop-jkt.ts';
import { checkNonce } from './check-nonce.ts';
import { checkPkce } from './check-pkce.ts';
import { checkPrompt } from './check-prompt.ts';
import { checkRedirectUri } from './check-redirect-uri.ts';
import { checkResponseType } from './check-response-type.ts';
import { checkScope } from './check-scope.ts';
import { loadClient } from './load-client.ts';
import { loadPushedRequest } from './load-pushed-request.ts';
import { loadSession } from './load-session.ts';

/**
 * The authorization endpoint, in order. The first two steps decide whether errors may be
 * redirected at all: until the client and its redirect URI are known, errors go to our own page.
 */
export const SAFE_STEPS = [loadClient, checkRedirectUri] as const;
export const REQUEST_STEPS = [checkResponseType, checkScope, checkNonce, checkPkce, checkDpopJkt, checkPrompt] as const;

export async function runPipeline(ctx: AuthorizationContext, sessionCookie: string | undefined): Promise<void> {
  await loadPushedRequest(ctx);
  for (const step of SAFE_STEPS) step(ctx);
  for (const step of REQUEST_STEPS) step(ctx);
  await loadSession(ctx, sessionCookie);
  await checkConsent(ctx);
}

import { OAuthError } from '../../http/errors.ts';
import { param } from '../token/form.ts';
import type { AuthorizationContext } from './authorization-context.ts';

// RFC 7636 §4.2: 43 to 128 unreserved characters; an S256 challenge is exactly 43.
const CHALLENGE = /^[A-Za-z0-9\-._~]{43,128}$/;

// RFC 7636 §4.3 and RFC 9700 §2.1.1: S256 only (`plain` refused); required for public clients and
// for clients registered with require_pkce.
export function checkPkce(ctx: AuthorizationContext): void {
  if (!ctx.request.responseType?.split(' ').includes('code')) return;
  const client = ctx.client!;
  const challenge = param(ctx.params, 'code_challenge');
  const method = param(ctx.params, 'code_challenge_method');
  if (challenge === undefined) {
    if (method !== undefined) throw new OAuthError('invalid_request', 'code_challenge_method without code_challenge');
    if (client.type === 'public' || client.requirePkce)
      throw new OAuthError('invalid_request', 'this client must use PKCE (code_challenge with S256)');
    return;
  }
  if (method !== 'S256') throw new OAuthError('invalid_request', 'code_challenge_method must be S256');
  if (!CHALLENGE.test(challenge) || challenge.length !== 43)
    throw new OAuthError('invalid_request', 'code_challenge is not a valid S256 challenge');
  ctx.request.codeChallenge = challenge;
}

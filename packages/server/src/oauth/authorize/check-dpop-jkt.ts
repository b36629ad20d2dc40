import { OAuthError } from '../../http/errors.ts';
import { param } from '../token/form.ts';
import type { AuthorizationContext } from './authorization-context.ts';

// RFC 9449 §10: `dpop_jkt` binds the authorization code to a DPoP key; it is the base64url
// SHA-256 JWK thumbprint (RFC 7638) of that key, and the code exchange must prove possession of it.
export function checkDpopJkt(ctx: AuthorizationContext): void {
  const jkt = param(ctx.params, 'dpop_jkt');
  if (jkt === undefined) return;
  if (!/^[A-Za-z0-9_-]{43}$/.test(jkt))
    throw new OAuthError('invalid_request', 'dpop_jkt must be a base64url SHA-256 JWK thumbprint');
  if (!ctx.request.responseType?.split(' ').includes('code'))
    throw new OAuthError('invalid_request', 'dpop_jkt binds an authorization code');
  ctx.request.dpopJkt = jkt;
}

import { OAuthError } from '../../http/errors.ts';
import { param } from '../token/form.ts';
import type { AuthorizationContext, ResponseMode } from './authorization-context.ts';

/**
 * `code`, plus the implicit and hybrid types (OIDC Core §3.2, §3.3) a client has only when an
 * admin registered it with the implicit grant (RFC 9700 §2.1.2 discourages them; legacy SPAs).
 * Values are kept in sorted form so that "token id_token" and "id_token token" are one type.
 */
export const SUPPORTED_RESPONSE_TYPES = ['code', 'token', 'id_token', 'id_token token', 'code id_token'] as const;

// RFC 6749 §3.1.1 (order of values is insignificant), OAuth 2.0 Multiple Response Types §5
// (default modes; token-bearing responses never in the query), OAuth 2.0 Form Post Response Mode.
// The mode is settled first, so that even a refused response type gets its error where the
// client expects it (a token-type request's error in the fragment).
export function checkResponseType(ctx: AuthorizationContext): void {
  const raw = param(ctx.params, 'response_type');
  const responseType = (raw ?? '').split(' ').filter(Boolean).sort().join(' ');
  const mode = param(ctx.params, 'response_mode') ?? (responseType === 'code' || responseType === '' ? 'query' : 'fragment');
  if (mode !== 'query' && mode !== 'fragment' && mode !== 'form_post')
    throw new OAuthError('invalid_request', `response_mode ${mode} is not supported`);
  ctx.request.responseMode = mode as ResponseMode;
  if (!raw) throw new OAuthError('invalid_request', 'response_type is required');
  if (!(SUPPORTED_RESPONSE_TYPES as readonly string[]).includes(responseType)) {
    throw new OAuthError('unsupported_response_type', `response_type ${JSON.stringify(raw)} is not supported`);
  }
  if (mode === 'query' && responseType !== 'code') {
    ctx.request.responseMode = 'fragment';
    throw new OAuthError('invalid_request', 'tokens are never returned in the query string');
  }
  const registered = ctx.client!.responseTypes.map((t) => t.split(' ').sort().join(' '));
  if (!registered.includes(responseType))
    throw new OAuthError('unauthorized_client', `this client may not use response_type ${raw}`);
  ctx.request.responseType = responseType;
}

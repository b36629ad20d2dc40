import { OAuthError } from '../../http/errors.ts';
import { param } from '../token/form.ts';
import type { AuthorizationContext, ResponseMode } from './authorization-context.ts';

export const SUPPORTED_RESPONSE_TYPES = ['code'] as const;

// RFC 6749 §3.1.1 (order of values is insignificant), OAuth 2.0 Multiple Response Types §5
// (default modes; token-bearing responses never in the query), OAuth 2.0 Form Post Response Mode.
export function checkResponseType(ctx: AuthorizationContext): void {
  const raw = param(ctx.params, 'response_type');
  if (!raw) throw new OAuthError('invalid_request', 'response_type is required');
  const responseType = raw.split(' ').filter(Boolean).sort().join(' ');
  if (!(SUPPORTED_RESPONSE_TYPES as readonly string[]).includes(responseType)) {
    throw new OAuthError('unsupported_response_type', `response_type ${JSON.stringify(raw)} is not supported`);
  }
  const registered = ctx.client!.responseTypes.map((t) => t.split(' ').sort().join(' '));
  if (!registered.includes(responseType))
    throw new OAuthError('unauthorized_client', `this client may not use response_type ${raw}`);
  ctx.request.responseType = responseType;
  const mode = param(ctx.params, 'response_mode') ?? (responseType === 'code' ? 'query' : 'fragment');
  if (mode !== 'query' && mode !== 'fragment' && mode !== 'form_post')
    throw new OAuthError('invalid_request', `response_mode ${mode} is not supported`);
  if (mode === 'query' && responseType !== 'code')
    throw new OAuthError('invalid_request', 'tokens are never returned in the query string');
  ctx.request.responseMode = mode as ResponseMode;
}

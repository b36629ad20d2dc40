import { OAuthError } from '../../http/errors.ts';
import type { Services } from '../../services.ts';
import type { Client } from '../clients/client.ts';
import { type FormBody, param } from '../token/form.ts';
import { type AuthorizationContext, UnsafeAuthorizationError } from './authorization-context.ts';
import { REQUEST_STEPS, SAFE_STEPS } from './pipeline.ts';
import { PUSHED_REQUEST_LIFETIME_S } from './pushed-requests.ts';

/**
 * RFC 9126 §2: the authenticated client pushes its authorization request; it is validated now,
 * with the same steps as the authorization endpoint, and stored behind a one-time request_uri.
 */
export async function pushAuthorizationRequest(
  services: Services,
  client: Client,
  form: FormBody,
): Promise<{ request_uri: string; expires_in: number }> {
  // §2.1: request_uri must not be pushed; client_id, when sent, names the authenticated client.
  if (param(form, 'request_uri') !== undefined) throw new OAuthError('invalid_request', 'request_uri cannot be pushed');
  const clientIdParam = param(form, 'client_id');
  if (clientIdParam !== undefined && clientIdParam !== client.clientId)
    throw new OAuthError('invalid_request', 'client_id does not match the authenticated client');
  const params: FormBody = {};
  const credentials = new Set(['client_secret', 'client_assertion', 'client_assertion_type']);
  for (const [name, value] of Object.entries(form)) if (!credentials.has(name)) params[name] = value;
  params.client_id = client.clientId;
  const ctx: AuthorizationContext = { params, services, issuer: services.publicUrl(), request: {} };
  try {
    for (const step of SAFE_STEPS) step(ctx);
  } catch (err) {
    if (err instanceof UnsafeAuthorizationError) throw new OAuthError('invalid_request', err.message);
    throw err;
  }
  for (const step of REQUEST_STEPS) step(ctx);
  const requestUri = await services.oauth.pushedRequests.push(client.clientId, params);
  return { request_uri: requestUri, expires_in: PUSHED_REQUEST_LIFETIME_S };
}

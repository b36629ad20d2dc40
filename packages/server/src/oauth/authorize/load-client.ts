import { param } from '../token/form.ts';
import { type AuthorizationContext, UnsafeAuthorizationError } from './authorization-context.ts';

// RFC 6749 §4.1.1: client_id is required; an unknown client gets no redirect, only our error page.
export function loadClient(ctx: AuthorizationContext): void {
  const clientId = param(ctx.params, 'client_id');
  if (!clientId) throw new UnsafeAuthorizationError('The request has no client_id.');
  const client = ctx.services.oauth.clients.find(clientId);
  if (!client) throw new UnsafeAuthorizationError('The application that sent you here is not registered.');
  ctx.client = client;
  ctx.request.clientId = clientId;
}

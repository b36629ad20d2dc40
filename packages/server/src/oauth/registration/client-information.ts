import type { Client } from '../clients/client.ts';
import type { ClientInformation } from './schemas.ts';

export const REGISTRATION_PATH = '/oauth/register';

/**
 * RFC 7591 §3.2.1: the registered metadata, including what the server chose, with the RFC 7592
 * registration access token and configuration URI. The client secret is added only by the
 * answers that issue one.
 */
export function describeClient(client: Client, issuer: string, registrationToken: string): ClientInformation {
  return {
    client_id: client.clientId,
    client_id_issued_at: Math.floor(client.createdAt / 1000),
    registration_access_token: registrationToken,
    registration_client_uri: `${issuer}${REGISTRATION_PATH}/${encodeURIComponent(client.clientId)}`,
    client_name: client.name,
    redirect_uris: [...client.redirectUris],
    post_logout_redirect_uris: [...client.postLogoutRedirectUris],
    grant_types: [...client.grantTypes],
    response_types: [...client.responseTypes],
    token_endpoint_auth_method: client.authMethod,
    web_origins: [...client.webOrigins],
    ...(client.scopes.length > 0 ? { scope: client.scopes.join(' ') } : {}),
    ...(client.jwks ? { jwks: { keys: client.jwks.keys as Record<string, unknown>[] } } : {}),
  };
}

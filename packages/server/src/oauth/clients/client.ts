import type { ClientType, ClientView, GrantType, TokenAuthMethod } from '@portcullis/protocol';
import type { JSONWebKeySet } from 'jose';
import type { ClientRow } from './client-store.ts';

/** A registered client as the authorization server uses it (held in memory, never the secret). */
export interface Client {
  clientId: string;
  name: string;
  type: ClientType;
  firstParty: boolean;
  grantTypes: readonly GrantType[];
  responseTypes: readonly string[];
  redirectUris: readonly string[];
  postLogoutRedirectUris: readonly string[];
  scopes: readonly string[];
  authMethod: TokenAuthMethod;
  secretHash: string | null;
  jwks: JSONWebKeySet | null;
  tlsClientAuthSubjectDn: string | null;
  resources: readonly string[];
  attestationAppIds: readonly string[];
  webOrigins: readonly string[];
  requirePkce: boolean;
  requireDpop: boolean;
  requireAttestation: boolean;
  /** Seconds. */
  accessTokenLifetime: number;
  refreshTokenLifetime: number;
  refreshTokenIdleLifetime: number;
  createdAt: number;
  updatedAt: number;
}

const list = (json: string) => JSON.parse(json) as string[];

export function clientFromRow(row: ClientRow): Client {
  return {
    clientId: row.client_id,
    name: row.name,
    type: row.type as ClientType,
    firstParty: row.first_party === 1,
    grantTypes: list(row.grant_types) as GrantType[],
    responseTypes: list(row.response_types),
    redirectUris: list(row.redirect_uris),
    postLogoutRedirectUris: list(row.post_logout_redirect_uris),
    scopes: list(row.scopes),
    authMethod: row.token_endpoint_auth_method as TokenAuthMethod,
    secretHash: row.secret_hash,
    jwks: row.jwks ? (JSON.parse(row.jwks) as JSONWebKeySet) : null,
    tlsClientAuthSubjectDn: row.tls_client_auth_subject_dn,
    resources: list(row.resources),
    attestationAppIds: list(row.attestation_app_ids),
    webOrigins: list(row.web_origins),
    requirePkce: row.require_pkce === 1,
    requireDpop: row.require_dpop === 1,
    requireAttestation: row.require_attestation === 1,
    accessTokenLifetime: row.access_token_lifetime,
    refreshTokenLifetime: row.refresh_token_lifetime,
    refreshTokenIdleLifetime: row.refresh_token_idle_lifetime,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toClientView(c: Client): ClientView {
  return {
    client_id: c.clientId,
    name: c.name,
    type: c.type,
    first_party: c.firstParty,
    grant_types: [...c.grantTypes],
    response_types: [...c.responseTypes],
    redirect_uris: [...c.redirectUris],
    post_logout_redirect_uris: [...c.postLogoutRedirectUris],
    scopes: [...c.scopes],
    token_endpoint_auth_method: c.authMethod,
    tls_client_auth_subject_dn: c.tlsClientAuthSubjectDn,
    resources: [...c.resources],
    attestation_app_ids: [...c.attestationAppIds],
    web_origins: [...c.webOrigins],
    require_pkce: c.requirePkce,
    require_dpop: c.requireDpop,
    require_attestation: c.requireAttestation,
    access_token_lifetime: c.accessTokenLifetime,
    refresh_token_lifetime: c.refreshTokenLifetime,
    refresh_token_idle_lifetime: c.refreshTokenIdleLifetime,
    created_at: new Date(c.createdAt).toISOString(),
    updated_at: new Date(c.updatedAt).toISOString(),
  };
}

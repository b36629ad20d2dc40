import type { GrantType, TokenAuthMethod } from '@portcullis/protocol';
import type { JSONWebKeySet } from 'jose';
import { OAuthError } from '../../http/errors.ts';
import { OIDC_SCOPES } from '../authorize/check-scope.ts';
import type { ClientMetadataInput } from '../clients/check-client-metadata.ts';
import type { Client } from '../clients/client.ts';
import type { ClientMetadataBody } from './schemas.ts';

// RFC 7591 §2: unknown members are ignored, but what we cannot honour is refused, not dropped.
// RFC 7591 §2.1: grant_types and response_types must agree (code ⇔ authorization_code).
// RFC 9700 §2.1.2, §2.4: no implicit and no password grant through self-service registration;
// a dynamically registered client is never first-party. RFC 7591 §2: the server decides which
// scopes it accepts; API scopes only within what the initial access token allows. Everything else
// is checkClientMetadata's.

const GRANTS: readonly GrantType[] = ['authorization_code', 'refresh_token', 'client_credentials'];
const AUTH_METHODS: readonly TokenAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'];
const DEFAULT_NAME = 'Dynamically registered client';

function invalid(description: string): OAuthError {
  return new OAuthError('invalid_client_metadata', description);
}

function readGrantTypes(requested: readonly string[] | undefined): GrantType[] {
  const grants = [...new Set(requested ?? ['authorization_code'])];
  for (const grant of grants) {
    if (grant === 'password')
      throw invalid('the password grant is only for first-party clients, which an administrator registers');
    if (grant === 'implicit') throw invalid('the implicit grant is not available through dynamic registration');
    if (!GRANTS.includes(grant as GrantType)) throw invalid(`grant type ${JSON.stringify(grant)} is not supported`);
  }
  return grants as GrantType[];
}

function checkResponseTypes(requested: readonly string[] | undefined, grants: readonly GrantType[]): void {
  // Omitted, they follow from grant_types (RFC 7591 §2.1's default "code" would contradict a
  // client_credentials-only registration).
  if (requested === undefined) return;
  for (const type of requested) {
    if (type !== 'code') throw invalid(`response type ${JSON.stringify(type)} is not available through dynamic registration`);
  }
  if (requested.includes('code') !== grants.includes('authorization_code')) {
    throw invalid('response_types "code" and grant_types "authorization_code" go together (RFC 7591 §2.1)');
  }
}

/**
 * The registered scopes: OpenID Connect scopes always, any other only if `allowed` (the initial
 * access token's allowlist) lists it, so holding a token never means choosing one's API scopes.
 */
function readScopes(scope: string | undefined, allowed: readonly string[]): string[] {
  if (scope === undefined || scope === '') return [];
  const scopes = scope.split(' ');
  if (scopes.some((s) => s === '')) throw invalid('scope is a list of scope values separated by single spaces');
  const refused = [...new Set(scopes.filter((s) => !OIDC_SCOPES.includes(s) && !allowed.includes(s)))];
  if (refused.length > 0) {
    const names = refused.map((s) => JSON.stringify(s)).join(', ');
    throw invalid(
      refused.length === 1
        ? `scope ${names} is not allowed: the initial access token does not list it`
        : `scopes ${names} are not allowed: the initial access token does not list them`,
    );
  }
  return scopes;
}

/**
 * RFC 7591 §2 metadata as `Clients.create`/`update` input. `allowedScopes` are the API scopes the
 * client's initial access token allows. `current` is the client an RFC 7592 update replaces:
 * settings the protocol cannot express (lifetimes, DPoP) carry over.
 */
export function readClientMetadata(
  body: ClientMetadataBody,
  allowedScopes: readonly string[],
  current?: Client,
): ClientMetadataInput {
  if (body.jwks_uri !== undefined) throw invalid('jwks_uri is not supported; register the public keys as jwks');
  if (body.software_statement !== undefined) throw invalid('software_statement is not supported');
  const authMethod = (body.token_endpoint_auth_method ?? 'client_secret_basic') as TokenAuthMethod;
  if (!AUTH_METHODS.includes(authMethod)) {
    throw invalid(`token_endpoint_auth_method ${JSON.stringify(authMethod)} is not supported`);
  }
  const grants = readGrantTypes(body.grant_types);
  checkResponseTypes(body.response_types, grants);
  if (grants.includes('authorization_code') && (body.redirect_uris ?? []).length === 0) {
    throw new OAuthError('invalid_redirect_uri', 'the authorization_code grant needs at least one redirect URI');
  }
  return {
    name: body.client_name ?? DEFAULT_NAME,
    type: authMethod === 'none' ? 'public' : 'confidential',
    grant_types: grants,
    redirect_uris: body.redirect_uris,
    post_logout_redirect_uris: body.post_logout_redirect_uris,
    scopes: readScopes(body.scope, allowedScopes),
    first_party: false,
    require_pkce: true,
    token_endpoint_auth_method: authMethod,
    jwks: body.jwks as JSONWebKeySet | undefined,
    web_origins: body.web_origins,
    require_dpop: current?.requireDpop,
    require_attestation: current?.requireAttestation,
    access_token_lifetime: current?.accessTokenLifetime,
    refresh_token_lifetime: current?.refreshTokenLifetime,
    refresh_token_idle_lifetime: current?.refreshTokenIdleLifetime,
  };
}

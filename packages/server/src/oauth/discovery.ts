import { SUPPORTED_RESPONSE_TYPES } from './authorize/check-response-type.ts';
import { OIDC_SCOPES } from './authorize/check-scope.ts';
import { DPOP_ALGS } from './dpop/verify-dpop-proof.ts';
import { REGISTRATION_PATH } from './registration/index.ts';
import { GRANT_HANDLERS } from './token/token-endpoint.ts';

export const PATHS = {
  authorization: '/oauth/authorize',
  userinfo: '/oauth/userinfo',
  endSession: '/oauth/logout',
  pushedAuthorization: '/oauth/par',
  token: '/oauth/token',
  introspection: '/oauth/introspect',
  revocation: '/oauth/revoke',
  revocationFeed: '/oauth/revocations',
  jwks: '/.well-known/jwks.json',
} as const;

const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];
const ASSERTION_ALGS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA'];

/**
 * RFC 8414 / OpenID Connect Discovery metadata. It lists only what works today: each endpoint
 * and value here has a test; features arrive in the document with their implementation.
 */
export function discoveryDocument(issuer: string, mtlsUrl: string | null = null): Record<string, unknown> {
  // RFC 8705 is offered only when the HTTPS listener (where certificates are presented) is on.
  const mtls: Record<string, unknown> = mtlsUrl
    ? {
        tls_client_certificate_bound_access_tokens: true,
        mtls_endpoint_aliases: {
          token_endpoint: `${mtlsUrl}${PATHS.token}`,
          introspection_endpoint: `${mtlsUrl}${PATHS.introspection}`,
          revocation_endpoint: `${mtlsUrl}${PATHS.revocation}`,
          pushed_authorization_request_endpoint: `${mtlsUrl}${PATHS.pushedAuthorization}`,
          userinfo_endpoint: `${mtlsUrl}${PATHS.userinfo}`,
        },
      }
    : {};
  const methods = mtlsUrl ? [...AUTH_METHODS, 'tls_client_auth', 'self_signed_tls_client_auth'] : AUTH_METHODS;
  return {
    ...mtls,
    issuer,
    authorization_endpoint: `${issuer}${PATHS.authorization}`,
    token_endpoint: `${issuer}${PATHS.token}`,
    userinfo_endpoint: `${issuer}${PATHS.userinfo}`,
    end_session_endpoint: `${issuer}${PATHS.endSession}`,
    pushed_authorization_request_endpoint: `${issuer}${PATHS.pushedAuthorization}`,
    jwks_uri: `${issuer}${PATHS.jwks}`,
    introspection_endpoint: `${issuer}${PATHS.introspection}`,
    revocation_endpoint: `${issuer}${PATHS.revocation}`,
    registration_endpoint: `${issuer}${REGISTRATION_PATH}`,
    // Not a registered metadata name: where resource servers read revoked access tokens.
    revocation_feed_endpoint: `${issuer}${PATHS.revocationFeed}`,
    // RFC 8414 §2: implicit is served by the authorization endpoint, the rest by the token endpoint.
    grant_types_supported: [...GRANT_HANDLERS.keys(), 'implicit'],
    response_types_supported: [...SUPPORTED_RESPONSE_TYPES],
    response_modes_supported: ['query', 'fragment', 'form_post'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    scopes_supported: OIDC_SCOPES,
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256', 'EdDSA', 'RS256'],
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'nonce',
      'azp',
      'sid',
      'at_hash',
      'name',
      'given_name',
      'family_name',
      'preferred_username',
      'updated_at',
      'email',
      'email_verified',
    ],
    prompt_values_supported: ['none', 'login', 'consent'],
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    token_endpoint_auth_methods_supported: [...methods, 'none'],
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    introspection_endpoint_auth_methods_supported: methods,
    introspection_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    revocation_endpoint_auth_methods_supported: [...methods, 'none'],
    revocation_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    dpop_signing_alg_values_supported: DPOP_ALGS,
  };
}

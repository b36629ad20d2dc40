import type { ClientType, GrantType, TokenAuthMethod } from '@portcullis/protocol';
import type { JSONWebKeySet } from 'jose';
import { OAuthError } from '../../http/errors.ts';
import { checkRedirectUriForRegistration } from './check-redirect-uri.ts';

export interface ClientMetadataInput {
  name: string;
  type: ClientType;
  grant_types: GrantType[];
  redirect_uris?: string[] | undefined;
  post_logout_redirect_uris?: string[] | undefined;
  scopes?: string[] | undefined;
  first_party?: boolean | undefined;
  require_pkce?: boolean | undefined;
  require_dpop?: boolean | undefined;
  require_attestation?: boolean | undefined;
  token_endpoint_auth_method?: TokenAuthMethod | undefined;
  jwks?: JSONWebKeySet | undefined;
  /** RFC 8705 §2.1.2: the subject DN the client's certificate must carry (tls_client_auth). */
  tls_client_auth_subject_dn?: string | undefined;
  /** RFC 8707: the resources (token audiences) the client may ask for; none means only this server. */
  resources?: string[] | undefined;
  /** The apps whose attested instances may use a require_attestation client. */
  attestation_app_ids?: string[] | undefined;
  /** Origins (scheme://host[:port]) whose browser pages may call the token, revocation and UserInfo endpoints. */
  web_origins?: string[] | undefined;
  access_token_lifetime?: number | undefined;
  refresh_token_lifetime?: number | undefined;
  refresh_token_idle_lifetime?: number | undefined;
}

export interface ClientMetadata {
  name: string;
  type: ClientType;
  grantTypes: GrantType[];
  responseTypes: string[];
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  scopes: string[];
  firstParty: boolean;
  requirePkce: boolean;
  requireDpop: boolean;
  requireAttestation: boolean;
  authMethod: TokenAuthMethod;
  jwks: JSONWebKeySet | null;
  tlsClientAuthSubjectDn: string | null;
  resources: string[];
  attestationAppIds: string[];
  webOrigins: string[];
  accessTokenLifetime: number;
  refreshTokenLifetime: number;
  refreshTokenIdleLifetime: number;
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const SECRET_METHODS: readonly TokenAuthMethod[] = ['client_secret_basic', 'client_secret_post'];

export const DEFAULT_LIFETIMES = { access: 900, refresh: 30 * 86_400, refreshIdle: 7 * 86_400 };

function invalid(description: string): OAuthError {
  return new OAuthError('invalid_client_metadata', description);
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
// RFC 3986 §3.1 scheme, then an authority without userinfo, and nothing after it.
const ORIGIN = /^([a-z][a-z0-9+.-]*):\/\/([^/?#@\s\\]+)$/;

/**
 * Why `origin` cannot be a client's web origin, or undefined. An origin is compared as the browser
 * sends it in the Origin header (RFC 6454 §6.1, the Fetch standard's serialization): `https://`
 * with a host and an optional port, lowercase, no path; `http://` only on the loopback (a developer's
 * machine); and a native shell's own scheme (`capacitor://localhost`). Never a wildcard, never
 * `null` (sandboxed frames and local files share that value).
 */
export function checkWebOrigin(origin: string): string | undefined {
  const parts = ORIGIN.exec(origin);
  if (!parts) return 'an origin is scheme://host[:port] with no path, query, fragment or user name';
  const [, scheme, authority] = parts as unknown as [string, string, string];
  if (authority.includes('*')) return 'wildcards are not allowed';
  if (scheme === 'http' || scheme === 'https') {
    // The browser's own serialization: lowercase host, default port omitted, IDNs in punycode.
    if (!URL.canParse(origin) || new URL(origin).origin !== origin)
      return `write it as the browser sends it${URL.canParse(origin) ? ` (${new URL(origin).origin})` : ''}`;
    if (scheme === 'http' && !LOOPBACK_HOSTS.has(new URL(origin).hostname))
      return 'http is only allowed on the loopback; use https';
    return undefined;
  }
  // The scheme is lowercase by the pattern; the host must be too, as the browser sends it.
  if (authority !== authority.toLowerCase()) return 'write the host in lowercase';
  return undefined;
}

function responseTypesFor(grants: readonly GrantType[]): string[] {
  // OIDC Core §3: each response type names the grant it belongs to.
  const types: string[] = [];
  if (grants.includes('authorization_code')) types.push('code');
  if (grants.includes('implicit')) types.push('token', 'id_token', 'id_token token');
  if (grants.includes('authorization_code') && grants.includes('implicit')) types.push('code id_token');
  return types;
}

/**
 * Validates client metadata (admin API and dynamic registration alike) and fills the defaults.
 * Deny by default: PKCE on, no implicit unless asked for, the narrowest auth method that fits.
 */
export function checkClientMetadata(input: ClientMetadataInput, maxTokenLifetime: number): ClientMetadata {
  const grants = [...new Set(input.grant_types)];
  if (grants.length === 0) throw invalid('at least one grant type is required');
  const redirectUris = [...new Set(input.redirect_uris ?? [])];
  const firstParty = input.first_party ?? false;
  const type = input.type;
  const authMethod = input.token_endpoint_auth_method ?? (type === 'public' ? 'none' : 'client_secret_basic');

  // RFC 6749 §2.1: a public client cannot authenticate; a confidential one must.
  if (type === 'public' && authMethod !== 'none') throw invalid('a public client uses token_endpoint_auth_method "none"');
  if (type === 'confidential' && authMethod === 'none')
    throw invalid('a confidential client must authenticate; choose an auth method other than "none"');
  // RFC 8705 §2.1.2: PKI authentication names the certificate subject it expects.
  if (authMethod === 'tls_client_auth' && !input.tls_client_auth_subject_dn)
    throw invalid('tls_client_auth needs tls_client_auth_subject_dn');
  // RFC 8705 §2.2.2: a self-signed certificate is known by the keys the client registered.
  if (authMethod === 'private_key_jwt' || authMethod === 'self_signed_tls_client_auth') {
    if (!input.jwks || !Array.isArray(input.jwks.keys) || input.jwks.keys.length === 0)
      throw invalid(`${authMethod} needs a jwks with at least one public key`);
    // RFC 7518 §6.2.2, §6.3.2, §6.4: any private or symmetric member means it is not a public key.
    const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
    if (input.jwks.keys.some((k) => typeof k.kty !== 'string' || privateMembers.some((m) => m in k))) {
      throw invalid('jwks must hold public keys only');
    }
  }
  // RFC 6749 §4.4: only a client that can keep a secret may act on its own behalf.
  if (grants.includes('client_credentials') && type !== 'confidential')
    throw invalid('client_credentials needs a confidential client');
  // RFC 9700 §2.4: the password grant only for first-party clients.
  if (grants.includes('password') && !firstParty)
    throw invalid('the password grant is only for first-party clients (first_party: true)');
  if ((grants.includes('authorization_code') || grants.includes('implicit')) && redirectUris.length === 0) {
    throw invalid('authorization_code and implicit need at least one redirect URI');
  }
  if (grants.includes('refresh_token') && !grants.some((g) => g === 'authorization_code' || g === 'password')) {
    throw invalid('refresh_token goes with authorization_code or password');
  }
  for (const uri of redirectUris) {
    const problem = checkRedirectUriForRegistration(uri, type);
    if (problem) throw new OAuthError('invalid_redirect_uri', `redirect URI ${JSON.stringify(uri)}: ${problem}`);
  }
  const postLogout = [...new Set(input.post_logout_redirect_uris ?? [])];
  for (const uri of postLogout) {
    const problem = checkRedirectUriForRegistration(uri, type);
    if (problem) throw invalid(`post-logout redirect URI ${JSON.stringify(uri)}: ${problem}`);
  }
  const scopes = [...new Set(input.scopes ?? [])];
  for (const scope of scopes)
    if (!SCOPE_TOKEN.test(scope)) throw invalid(`scope ${JSON.stringify(scope)} has characters RFC 6749 §3.3 does not allow`);

  const resources = [...new Set(input.resources ?? [])];
  for (const resource of resources) {
    // RFC 8707 §2: an absolute URI without a fragment.
    if (!URL.canParse(resource) || resource.includes('#'))
      throw invalid(`resource ${JSON.stringify(resource)} must be an absolute URI without a fragment`);
  }
  const attestationAppIds = [...new Set(input.attestation_app_ids ?? [])];
  // Deny by default: an attestation proves which app is calling, so the client names the apps it accepts.
  if (input.require_attestation === true && attestationAppIds.length === 0) {
    throw invalid('require_attestation needs attestation_app_ids: the apps whose attested instances may use this client');
  }
  const webOrigins = [...new Set(input.web_origins ?? [])];
  for (const origin of webOrigins) {
    const problem = checkWebOrigin(origin);
    if (problem) throw invalid(`web origin ${JSON.stringify(origin)}: ${problem}`);
  }
  const access = input.access_token_lifetime ?? Math.min(DEFAULT_LIFETIMES.access, maxTokenLifetime);
  if (access < 30 || access > maxTokenLifetime)
    throw invalid(`access_token_lifetime must be from 30 to ${maxTokenLifetime} seconds`);
  const refresh = input.refresh_token_lifetime ?? DEFAULT_LIFETIMES.refresh;
  const refreshIdle = input.refresh_token_idle_lifetime ?? Math.min(DEFAULT_LIFETIMES.refreshIdle, refresh);
  if (refreshIdle > refresh) throw invalid('refresh_token_idle_lifetime cannot exceed refresh_token_lifetime');

  return {
    name: input.name,
    type,
    grantTypes: grants,
    responseTypes: responseTypesFor(grants),
    redirectUris,
    postLogoutRedirectUris: postLogout,
    scopes,
    firstParty,
    requirePkce: input.require_pkce ?? true,
    requireDpop: input.require_dpop ?? false,
    requireAttestation: input.require_attestation ?? false,
    authMethod,
    jwks: authMethod === 'private_key_jwt' || authMethod === 'self_signed_tls_client_auth' ? (input.jwks ?? null) : null,
    tlsClientAuthSubjectDn: authMethod === 'tls_client_auth' ? (input.tls_client_auth_subject_dn ?? null) : null,
    resources,
    attestationAppIds,
    webOrigins,
    accessTokenLifetime: access,
    refreshTokenLifetime: refresh,
    refreshTokenIdleLifetime: refreshIdle,
  };
}

export function usesSecret(method: TokenAuthMethod): boolean {
  return SECRET_METHODS.includes(method);
}

/** OAuth 2.0 / OpenID Connect vocabulary shared by the server, SDK and CLI. */

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', 'password', 'implicit'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

export const TOKEN_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'tls_client_auth',
  'self_signed_tls_client_auth',
  'none',
] as const;
export type TokenAuthMethod = (typeof TOKEN_AUTH_METHODS)[number];

export const CLIENT_TYPES = ['confidential', 'public'] as const;
export type ClientType = (typeof CLIENT_TYPES)[number];

export interface ClientView {
  client_id: string;
  name: string;
  type: ClientType;
  first_party: boolean;
  grant_types: GrantType[];
  response_types: string[];
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  scopes: string[];
  token_endpoint_auth_method: TokenAuthMethod;
  tls_client_auth_subject_dn: string | null;
  resources: string[];
  attestation_app_ids: string[];
  /** Origins whose browser pages may call the token, revocation and UserInfo endpoints (CORS). */
  web_origins: string[];
  require_pkce: boolean;
  require_dpop: boolean;
  require_attestation: boolean;
  access_token_lifetime: number;
  refresh_token_lifetime: number;
  refresh_token_idle_lifetime: number;
  created_at: string;
  updated_at: string;
}

/** RFC 6749 §5.1 */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
}

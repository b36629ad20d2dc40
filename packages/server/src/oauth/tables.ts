/** Tables owned by `oauth/`. Times are milliseconds since the epoch; lists are JSON arrays. */
export interface OAuthTables {
  oauth_clients: {
    client_id: string;
    name: string;
    type: string;
    first_party: number;
    grant_types: string;
    response_types: string;
    redirect_uris: string;
    post_logout_redirect_uris: string;
    scopes: string;
    token_endpoint_auth_method: string;
    /** HMAC-SHA-256 of the secret under a key derived from the master key. */
    secret_hash: string | null;
    /** JWK Set (JSON) for private_key_jwt. */
    jwks: string | null;
    tls_client_auth_subject_dn: string | null;
    /** JSON list of allowed RFC 8707 resources. */
    resources: string;
    /** JSON list of app ids whose attested instances may use the client. */
    attestation_app_ids: string;
    /** JSON list of the web origins whose pages may call the client's OAuth endpoints (CORS). */
    web_origins: string;
    require_pkce: number;
    require_dpop: number;
    require_attestation: number;
    access_token_lifetime: number;
    refresh_token_lifetime: number;
    refresh_token_idle_lifetime: number;
    created_at: number;
    updated_at: number;
  };
  /** What a user (or a client for itself) authorized a client to do; refresh tokens hang off it. */
  oauth_grants: {
    id: string;
    client_id: string;
    user_id: string | null;
    scope: string;
    auth_time: number | null;
    /** Slot for the device registry: tokens will name user + app + device. */
    device_id: string | null;
    created_at: number;
    /** Absolute end of the grant: no refresh token outlives it. */
    expires_at: number;
    revoked_at: number | null;
  };
  oauth_refresh_tokens: {
    token_hash: string;
    grant_id: string;
    client_id: string;
    scope: string;
    created_at: number;
    /** Idle expiry. */
    expires_at: number;
    /** Set when rotated; presenting it again is reuse (RFC 9700 §4.14.2). */
    used_at: number | null;
    /** RFC 9449 §5: the DPoP key thumbprint a public client's refresh token is bound to. */
    dpop_jkt: string | null;
  };
  /** Access tokens issued under a grant, so revoking the grant can revoke them (RFC 7009 §2.1). */
  oauth_access_tokens: {
    jti: string;
    grant_id: string;
    expires_at: number;
  };
  /** Revoked access tokens until they expire: the source of introspection and the revocation feed. */
  oauth_revocations: {
    jti: string;
    revoked_at: number;
    expires_at: number;
  };
  /** `jti` values of client assertions already used (RFC 7523 §3 item 7). */
  oauth_used_jtis: {
    jti: string;
    expires_at: number;
  };
  /** A browser's login at this server; the cookie holds the secret, the table only its digest. */
  oauth_sessions: {
    id_hash: string;
    /** Public session id, the ID token's `sid`. */
    sid: string;
    user_id: string;
    auth_time: number;
    created_at: number;
    expires_at: number;
  };
  /** An authorization request waiting for the user to log in or consent. */
  oauth_interactions: {
    id: string;
    /** Digest of the browser-binding cookie: the interaction continues only in the browser that began it. */
    browser_hash: string;
    csrf: string;
    client_id: string;
    /** The validated authorization request (JSON). */
    request: string;
    user_id: string | null;
    sid: string | null;
    auth_time: number | null;
    created_at: number;
    expires_at: number;
  };
  oauth_codes: {
    code_hash: string;
    client_id: string;
    user_id: string;
    redirect_uri: string;
    redirect_uri_given: number;
    scope: string;
    nonce: string | null;
    code_challenge: string | null;
    dpop_jkt: string | null;
    sid: string | null;
    auth_time: number;
    created_at: number;
    expires_at: number;
    used_at: number | null;
    /** Set when exchanged, so a replay can revoke what the first exchange issued. */
    grant_id: string | null;
  };
  /** What a user allowed a client to access; asked again only for more. */
  oauth_consents: {
    user_id: string;
    client_id: string;
    scope: string;
    created_at: number;
  };
  /** Pushed authorization requests (RFC 9126): the validated parameters behind a request_uri. */
  oauth_par_requests: {
    request_uri_hash: string;
    client_id: string;
    params: string;
    expires_at: number;
  };
}

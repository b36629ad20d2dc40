/**
 * Tables owned by `oauth/registration/`. Times are milliseconds since the epoch. Queries reach
 * them through `db.withTables<RegistrationTables>()`, so the shared `Database` type need not change.
 */
// A type alias, not an interface: `withTables` needs the implicit index signature.
export type RegistrationTables = {
  /** Admin-issued tokens that allow calls to the registration endpoint (RFC 7591 §3). */
  oauth_initial_access_tokens: {
    id: string;
    /** HMAC-SHA-256 of the token under a key derived from the master key; never the token. */
    token_hash: string;
    max_uses: number;
    /** JSON array of the API scopes a client registered with it may have; OpenID Connect scopes need none. */
    scopes: string;
    uses: number;
    /** The admin key that issued it. */
    created_by: string | null;
    created_at: number;
    expires_at: number;
    revoked_at: number | null;
  };
  /** Clients registered dynamically, with the digest of their registration access token (RFC 7592 §1.2). */
  oauth_registrations: {
    client_id: string;
    registration_token_hash: string;
    initial_access_token_id: string | null;
    /** JSON array: the initial access token's `scopes` when the client was registered, for RFC 7592 updates. */
    scopes_allowed: string;
    created_at: number;
  };
};

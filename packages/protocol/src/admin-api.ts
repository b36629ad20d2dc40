/** Shapes of the admin API (`/admin/v1`) that the CLI and SDK read. */

export const ADMIN_ROLES = ['admin', 'developer', 'auditor'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

export const KEY_USES = ['token', 'attestation', 'pins'] as const;
export type KeyUse = (typeof KEY_USES)[number];

export const SIGNING_ALGORITHMS = ['ES256', 'EdDSA', 'RS256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export const USER_STATUSES = ['active', 'disabled'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export interface UserView {
  id: string;
  username: string;
  email: string | null;
  given_name: string | null;
  family_name: string | null;
  status: UserStatus;
  created_at: string;
  updated_at: string;
}

export interface AdminKeyView {
  id: string;
  role: AdminRole;
  label: string | null;
  bootstrap: boolean;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface SigningKeyView {
  kid: string;
  use: KeyUse;
  alg: SigningAlgorithm;
  state: 'next' | 'current' | 'retired';
  created_at: string;
  activated_at: string | null;
  retired_at: string | null;
  /** When a retired key leaves the JWKS: every token it signed has expired by then. */
  published_until: string | null;
}

/** A registered app release (`portcullis apps`). */
export interface AppReleaseView {
  id: string;
  app_id: string;
  version: string | null;
  /** `sha256:HEX` */
  digest: string;
  created_at: string;
  revoked_at: string | null;
}

/** A device as the admin API lists it (`portcullis devices`). */
export interface DeviceView {
  device_id: string;
  status: 'active' | 'denied';
  policy: 'default' | 'always-pass';
  policy_expires_at: string | null;
  app_id: string;
  platform: string;
  /** RFC 7638 thumbprint of the app-instance key it last attested with. */
  key_thumbprint: string;
  first_seen: string;
  last_seen: string;
  last_verdict: string;
}

/** A runtime secret's latest version, never its value (`portcullis secrets`). */
export interface SecretView {
  name: string;
  version: number;
  app_id: string | null;
  created_at: string;
}

/** The pin set as admins edit it (`portcullis pins`); `pins` maps a host to its primary then backup SPKI pins. */
export interface PinSetView {
  version: number;
  managed_trust_roots: boolean;
  pins: Record<string, string[]>;
}

export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  outcome: 'success' | 'failure';
  status: number;
}

/** The object `portcullis serve --ready-file` writes and the `ready` log event carries. */
export interface ReadyInfo {
  issuer: string;
  http: string;
  https: string | null;
  mqtt: string | null;
  mqtts: string | null;
  admin: string;
  ca_cert: string | null;
}

/** Whether a protected API route demands an attestation token (`Portcullis-Attestation`). */
export const API_ATTESTATION_MODES = ['required', 'optional', 'off'] as const;
export type ApiAttestationMode = (typeof API_ATTESTATION_MODES)[number];
/** How calls to a route must be sender-constrained: DPoP proof (RFC 9449), client certificate (RFC 8705), either, or not at all. */
export const API_BINDINGS = ['dpop', 'mtls', 'any', 'none'] as const;
export type ApiBinding = (typeof API_BINDINGS)[number];
/** How the gateway tells the upstream who called: `X-Portcullis-*` headers, a signed JWT, or nothing. */
export const API_IDENTITY_MODES = ['headers', 'jwt', 'none'] as const;
export type ApiIdentityMode = (typeof API_IDENTITY_MODES)[number];
/** What a route's rate limit counts per. */
export const RATE_LIMIT_KEYS = ['route', 'client', 'user', 'device', 'ip'] as const;
export type RateLimitKey = (typeof RATE_LIMIT_KEYS)[number];

export interface ApiRateLimit {
  /** Requests allowed per window and key. */
  limit: number;
  window_s: number;
  per: RateLimitKey;
}

export interface ApiInjection {
  /** The upstream request header that receives the secret, e.g. `X-Api-Key` or `Authorization`. */
  header: string;
  /** The runtime secret's name (`portcullis secrets add`). */
  secret: string;
}

/** A protected API route (`portcullis api`). */
export interface ApiRouteView {
  id: string;
  /** The Host it answers for (port ignored), or null for any host. */
  host: string | null;
  /** The path prefix it answers for; `/` for every path. */
  path_prefix: string;
  /** Where requests go: an http(s) origin, optionally with a base path. */
  upstream: string;
  /** Remove `path_prefix` before forwarding. */
  strip_prefix: boolean;
  /** Accepted methods, or null for any. */
  methods: string[] | null;
  /** `off`: no access token is needed (a public route; attestation may still be). */
  auth: 'required' | 'off';
  /** Every one of these must be in the access token's scope. */
  scopes: string[];
  /** The `aud` the access token must carry (RFC 8707 resource); null: this server's issuer. */
  audience: string | null;
  attestation: ApiAttestationMode;
  binding: ApiBinding;
  identity: ApiIdentityMode;
  /** Browser origins allowed to call it (CORS); empty: none. */
  cors_origins: string[];
  rate_limit: ApiRateLimit | null;
  /** Largest request body forwarded, in bytes. */
  body_limit: number;
  /** How long the upstream may take to answer (headers), in milliseconds. */
  timeout_ms: number;
  inject: ApiInjection[];
  /** Compare the path prefix case-sensitively (the default), as most upstreams do. */
  case_sensitive: boolean;
  created_at: string;
}

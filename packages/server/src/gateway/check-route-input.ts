import {
  API_ATTESTATION_MODES,
  API_BINDINGS,
  API_IDENTITY_MODES,
  type ApiRouteView,
  RATE_LIMIT_KEYS,
} from '@portcullis/protocol';
import { InvalidRequest } from '../http/errors.ts';
import { normalizePath } from './normalize-path.ts';

/** What an admin sends to add a route: `match` is the CLI's HOST_OR_PATH; the rest has defaults. */
export interface ApiRouteInput {
  match: string;
  upstream: string;
  strip_prefix?: boolean | undefined;
  methods?: string[] | null | undefined;
  auth?: 'required' | 'off' | undefined;
  scopes?: string[] | undefined;
  audience?: string | null | undefined;
  attestation?: ApiRouteView['attestation'] | undefined;
  binding?: ApiRouteView['binding'] | undefined;
  identity?: ApiRouteView['identity'] | undefined;
  cors_origins?: string[] | undefined;
  rate_limit?: ApiRouteView['rate_limit'] | undefined;
  body_limit?: number | undefined;
  timeout_ms?: number | undefined;
  inject?: ApiRouteView['inject'] | undefined;
  case_sensitive?: boolean | undefined;
}

export type CheckedRoute = Omit<ApiRouteView, 'id' | 'created_at'>;

export const DEFAULT_BODY_LIMIT = 1_048_576;
export const MAX_BODY_LIMIT = 104_857_600;
export const DEFAULT_TIMEOUT_MS = 30_000;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
// A DNS name or IPv4 literal; the Host header's port is ignored when matching.
const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
// RFC 6749 §3.3 scope-token.
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
// RFC 9110 §5.6.2 token, for header names.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
/** Headers the gateway owns: an injected secret may not replace them. */
const UNINJECTABLE = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'forwarded',
  'dpop',
  'portcullis-attestation',
]);

/**
 * The first path segments Portcullis serves itself (INTERFACES.md "HTTP surface"): a protected API
 * can never take them over, whatever the host.
 */
export const RESERVED_SEGMENTS = new Set([
  '.well-known',
  'oauth',
  'jwks',
  'attest',
  'secrets',
  'devices',
  'scim',
  'messaging',
  'storage',
  'mqtt',
  'admin',
  'healthz',
  'readyz',
  'metrics',
]);

/** The first segment of a path ('/oauth/token' → 'oauth'). */
export function firstSegment(path: string): string {
  const end = path.indexOf('/', 1);
  return end === -1 ? path.slice(1) : path.slice(1, end);
}

function checkMatch(match: string): { host: string | null; path_prefix: string } {
  const slash = match.indexOf('/');
  const hostPart = slash === -1 ? match : match.slice(0, slash);
  let prefix = slash === -1 ? '/' : match.slice(slash);
  const host = hostPart === '' ? null : hostPart.toLowerCase();
  if (host !== null && !HOST.test(host))
    throw new InvalidRequest('the route must be a host (api.example.com), a path (/books) or both (api.example.com/books)');
  const normalized = normalizePath(prefix);
  if (!normalized.ok) throw new InvalidRequest(`the route's path is not usable: ${normalized.reason}`);
  if (normalized.path !== prefix) throw new InvalidRequest(`write the route's path in its plain form: ${normalized.path}`);
  if (prefix.length > 1 && prefix.endsWith('/')) prefix = prefix.slice(0, -1);
  if (RESERVED_SEGMENTS.has(firstSegment(prefix).toLowerCase()))
    throw new InvalidRequest(`/${firstSegment(prefix)} is served by Portcullis itself; choose another path`);
  return { host, path_prefix: prefix };
}

function checkUpstream(upstream: string): string {
  if (!URL.canParse(upstream)) throw new InvalidRequest('the upstream must be an absolute http(s) URL');
  const url = new URL(upstream);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidRequest('the upstream must be an http or https URL');
  if (url.username || url.password)
    throw new InvalidRequest('the upstream URL may not carry credentials; inject a secret instead');
  if (url.search || url.hash || upstream.includes('#') || upstream.includes('?'))
    throw new InvalidRequest('the upstream URL may not have a query or fragment');
  const base = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  return `${url.origin}${base}`;
}

function checkOrigin(origin: string): string {
  if (!URL.canParse(origin) || new URL(origin).origin !== origin || !/^https?:/.test(origin))
    throw new InvalidRequest(`${JSON.stringify(origin)} is not an origin such as https://app.example.com (no path, no wildcard)`);
  return origin;
}

function oneOf<T extends string>(value: T | undefined, allowed: readonly T[], fallback: T, what: string): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value)) throw new InvalidRequest(`${what} must be one of ${allowed.join(', ')}`);
  return value;
}

function integer(value: number | undefined, min: number, max: number, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max)
    throw new InvalidRequest(`${what} must be an integer from ${min} to ${max}`);
  return value;
}

/** Validates an admin's route and fills in the defaults (attestation required, DPoP binding, identity headers). */
export function checkRouteInput(input: ApiRouteInput): CheckedRoute {
  const { host, path_prefix } = checkMatch(input.match);
  const methods = input.methods == null ? null : [...new Set(input.methods.map((m) => m.toUpperCase()))];
  if (methods && (methods.length === 0 || methods.some((m) => !METHODS.includes(m))))
    throw new InvalidRequest(`methods are some of ${METHODS.join(', ')}`);
  const scopes = [...new Set(input.scopes ?? [])];
  if (scopes.some((s) => !SCOPE.test(s))) throw new InvalidRequest('each scope is a scope token (RFC 6749 §3.3)');
  const audience = input.audience ?? null;
  if (audience !== null && (!URL.canParse(audience) || audience.includes('#')))
    throw new InvalidRequest('the audience is an absolute URI without a fragment (RFC 8707 §2)');
  const auth = oneOf(input.auth, ['required', 'off'] as const, 'required', 'auth');
  if (auth === 'off' && scopes.length > 0) throw new InvalidRequest('a route without access tokens cannot require scopes');
  const rate = input.rate_limit ?? null;
  const rate_limit = rate && {
    limit: integer(rate.limit, 1, 1_000_000, 0, 'rate_limit.limit'),
    window_s: integer(rate.window_s, 1, 86_400, 0, 'rate_limit.window_s'),
    per: oneOf(rate.per, RATE_LIMIT_KEYS, 'route', 'rate_limit.per'),
  };
  const inject = input.inject ?? [];
  const injected = new Set<string>();
  for (const { header, secret } of inject) {
    const name = header.toLowerCase();
    if (!HEADER_NAME.test(header) || UNINJECTABLE.has(name) || name.startsWith('x-portcullis-') || injected.has(name))
      throw new InvalidRequest(
        `${JSON.stringify(header)} cannot receive a secret (a header name the gateway does not own, once)`,
      );
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(secret))
      throw new InvalidRequest('a secret name is 1 to 128 letters, digits or . _ -');
    injected.add(name);
  }
  return {
    host,
    path_prefix,
    upstream: checkUpstream(input.upstream),
    strip_prefix: input.strip_prefix ?? false,
    methods,
    auth,
    scopes,
    audience,
    attestation: oneOf(input.attestation, API_ATTESTATION_MODES, 'required', 'attestation'),
    binding: oneOf(input.binding, API_BINDINGS, 'dpop', 'binding'),
    identity: oneOf(input.identity, API_IDENTITY_MODES, 'headers', 'identity'),
    cors_origins: [...new Set((input.cors_origins ?? []).map(checkOrigin))],
    rate_limit,
    body_limit: integer(input.body_limit, 0, MAX_BODY_LIMIT, DEFAULT_BODY_LIMIT, 'body_limit'),
    timeout_ms: integer(input.timeout_ms, 100, 300_000, DEFAULT_TIMEOUT_MS, 'timeout_ms'),
    inject: inject.map(({ header, secret }) => ({ header, secret })),
    case_sensitive: input.case_sensitive ?? true,
  };
}

import { GatewayError } from './gateway-error.ts';
import type { GatewayRequest } from './gateway-request.ts';

const EXPOSED = 'WWW-Authenticate, DPoP-Nonce, Retry-After, X-Request-Id';
const PREFLIGHT_MAX_AGE_S = '600';
const ANY_METHOD = 'GET, HEAD, POST, PUT, PATCH, DELETE';
// Header names a preflight may ask for (RFC 9110 §5.1 tokens, comma-separated).
const HEADER_LIST = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*,\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*$/;

/**
 * CORS per route (Fetch standard §3.2): only origins on the route's allow-list get the
 * Access-Control-* answers, compared exactly. A preflight is answered here, before any token
 * check (browsers send it without credentials); a preflight from another origin is refused.
 * Returns true when the request was a preflight and has been answered.
 */
export function checkCors(g: GatewayRequest): boolean {
  const origin = g.req.headers.origin;
  const allowed = origin !== undefined && g.route.cors_origins.includes(origin);
  const preflight =
    g.req.method === 'OPTIONS' && origin !== undefined && g.req.headers['access-control-request-method'] !== undefined;
  if (!preflight) {
    if (allowed) {
      g.res.setHeader('access-control-allow-origin', origin);
      g.res.setHeader('access-control-expose-headers', EXPOSED);
    }
    if (g.route.cors_origins.length > 0) g.res.setHeader('vary', 'Origin');
    return false;
  }
  if (!allowed) throw new GatewayError(403, 'forbidden', 'this origin may not call this API');
  const requested = String(g.req.headers['access-control-request-headers'] ?? '').trim();
  const headers: Record<string, string> = {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': g.route.methods?.join(', ') ?? ANY_METHOD,
    'access-control-max-age': PREFLIGHT_MAX_AGE_S,
    vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    'x-request-id': g.requestId,
  };
  // The gateway strips every header it owns before forwarding, so echoing the request is safe.
  if (requested !== '' && HEADER_LIST.test(requested)) headers['access-control-allow-headers'] = requested;
  g.res.writeHead(204, headers);
  g.res.end();
  return true;
}

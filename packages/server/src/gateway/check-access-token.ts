import { jwtVerify } from 'jose';
import type { Services } from '../services.ts';
import { challenged, GatewayError } from './gateway-error.ts';
import type { AccessClaims, GatewayRequest } from './gateway-request.ts';
import type { VerifiedTokens } from './verified-tokens.ts';

/** Bounded clock skew for `exp` and `nbf` (RFC 9068 §4 leaves the allowance to the resource server). */
export const CLOCK_SKEW_S = 5;
const TOKEN_ALGS = ['ES256', 'EdDSA', 'RS256'];

// RFC 6750 §2.1 / RFC 9449 §7.1: `Authorization: Bearer <token>` or `DPoP <token>`, one space, token68.
const AUTHORIZATION = /^(?:Bearer|DPoP) [A-Za-z0-9\-._~+/]+=*$/i;

/**
 * RFC 9068 §4 and RFC 6750: the access token is a JWT we signed (`typ` at+jwt, so an ID token is
 * refused), from our issuer, unexpired within the bounded skew, for this route's audience, not
 * revoked, from a client that still exists, and holding every scope the route requires. A token
 * in the query string is refused (RFC 9700 §2.5). Verification results are cached per token;
 * revocation and client deletion are checked on every request, in memory.
 */
export function checkAccessToken(
  g: GatewayRequest,
  services: Services,
  cache: VerifiedTokens<AccessClaims>,
): void | Promise<void> {
  if (g.query.includes('access_token') && new URLSearchParams(g.query).has('access_token'))
    throw new GatewayError(400, 'invalid_request', 'send the access token in the Authorization header, never in the URL');
  if (g.route.auth === 'off') return;
  const header = g.req.headers.authorization;
  if (header === undefined || header === '') throw challenged(g.challenge, 401, undefined, 'an access token is required');
  const key = cache.keyFor(g.req.socket, header, (sent) => {
    if (!AUTHORIZATION.test(sent))
      throw challenged(g.challenge, 401, 'invalid_token', 'send the access token as Authorization: Bearer or DPoP');
    return sent.slice(sent.indexOf(' ') + 1);
  });
  const space = header.indexOf(' ');
  g.scheme = header.slice(0, space).toLowerCase() as 'bearer' | 'dpop';
  g.accessToken = header.slice(space + 1);
  const claims = cache.get(key, Date.now());
  if (claims) {
    accept(g, services, cache, claims);
    return;
  }
  return verifyToken(g, services, key).then((verified) => {
    cache.set(key, verified, (verified.exp + CLOCK_SKEW_S) * 1000);
    accept(g, services, cache, verified);
  });
}

/** What is checked on every request, cached verification or not: revocation, the client, audience, scopes. */
function accept(g: GatewayRequest, services: Services, cache: VerifiedTokens<AccessClaims>, claims: AccessClaims): void {
  if (services.oauth.revocations.isRevoked(claims.jti) || !services.oauth.clients.find(claims.clientId)) {
    cache.delete(claims.key);
    throw challenged(g.challenge, 401, 'invalid_token', 'the access token has been revoked');
  }
  const audience = g.route.audience ?? services.publicUrl();
  if (!claims.aud.includes(audience)) throw challenged(g.challenge, 401, 'invalid_token', 'the access token is not for this API');
  const missing = g.route.scopes.filter((s) => !claims.scopes.includes(s));
  // RFC 6750 §3.1: insufficient_scope is a 403 naming the scope needed.
  if (missing.length > 0)
    throw challenged(
      g.challenge,
      403,
      'insufficient_scope',
      'the access token lacks a scope this API needs',
      g.route.scopes.join(' '),
    );
  g.token = claims;
}

async function verifyToken(g: GatewayRequest, services: Services, key: string): Promise<AccessClaims> {
  let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
  try {
    ({ payload } = await jwtVerify(g.accessToken as string, services.signingKeys.verifier('token'), {
      issuer: services.publicUrl(),
      typ: 'at+jwt',
      algorithms: TOKEN_ALGS,
      clockTolerance: CLOCK_SKEW_S,
      requiredClaims: ['exp', 'iat', 'jti', 'client_id', 'sub', 'aud'],
    }));
  } catch {
    throw challenged(g.challenge, 401, 'invalid_token', 'the access token is invalid or expired');
  }
  const clientId = String(payload.client_id);
  const sub = String(payload.sub);
  const cnf = (payload.cnf ?? {}) as { jkt?: unknown; 'x5t#S256'?: unknown };
  return {
    key,
    sub,
    clientId,
    userId: sub === clientId ? null : sub,
    scopes: typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [],
    aud: Array.isArray(payload.aud) ? payload.aud.map(String) : [String(payload.aud)],
    jti: String(payload.jti),
    exp: Number(payload.exp),
    jkt: typeof cnf.jkt === 'string' ? cnf.jkt : undefined,
    x5t: typeof cnf['x5t#S256'] === 'string' ? cnf['x5t#S256'] : undefined,
  };
}

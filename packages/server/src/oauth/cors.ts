import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../http/errors.ts';
import type { Services } from '../services.ts';
import type { Client } from './clients/client.ts';

/**
 * Browser apps on other origins (single-page apps, hybrid shells) calling the OAuth endpoints, per
 * the Fetch standard's CORS protocol. Deny by default, per client: a client lists its web origins
 * (`web_origins`), and only pages from those may call the token, revocation and UserInfo endpoints
 * for it. A preflight names no client, so it is answered for an origin some client lists; the
 * request itself is refused (`invalid_request`, before anything is issued or revoked) when its
 * client does not list the page's origin: a browser sends a form POST without a preflight, so the
 * refusal, not the browser, keeps another site's pages from spending a client's codes and refresh
 * tokens. Discovery, the JWKS and the revocation feed are public documents: any origin may read them.
 * A request without an Origin header (native apps, servers) or from this server's own origin is
 * not a cross-origin request and is untouched.
 */

/** Request headers a page may send to the client endpoints: client authentication, form bodies, DPoP, attestation. */
const ALLOWED_HEADERS = 'Authorization, Content-Type, DPoP, Portcullis-Attestation';
/** Response headers a page may read: the DPoP nonce to use next (RFC 9449 §8) and the challenge of a 401. */
const EXPOSED_HEADERS = 'DPoP-Nonce, WWW-Authenticate';
const PREFLIGHT_MAX_AGE_S = 600;

/** The page's origin when the request comes from a page on another origin; undefined otherwise. */
function crossOrigin(request: FastifyRequest, services: Services): string | undefined {
  const origin = request.headers.origin;
  if (origin === undefined) return undefined;
  if (origin === new URL(services.publicUrl()).origin) return undefined;
  if (origin === `${request.protocol}://${request.host.toLowerCase()}`) return undefined;
  return origin;
}

/** Answers to a request from a page carry Vary: Origin (RFC 9110 §12.5.5), whatever they say. */
function varyOnOrigin(reply: FastifyReply): void {
  const vary = reply.getHeader('vary');
  if (typeof vary !== 'string' || vary === '') reply.header('vary', 'Origin');
  else if (!/(^|,)\s*origin\s*(,|$)/i.test(vary)) reply.header('vary', `${vary}, Origin`);
}

/** Why a page's request is refused, for each endpoint to word in its own protocol's terms. */
export const ORIGIN_REFUSED = "this client does not accept requests from this web page's origin (see the client's web_origins)";

/**
 * Whether the request may go on: true when it is not from a page on another origin, or from a
 * page whose origin `client` lists, which may then read the answer (errors included); false when
 * the caller must refuse it (with ORIGIN_REFUSED) before doing anything.
 */
export function allowClientOrigin(
  request: FastifyRequest,
  reply: FastifyReply,
  services: Services,
  client: Client | undefined,
): boolean {
  const origin = crossOrigin(request, services);
  if (origin === undefined) return true;
  varyOnOrigin(reply);
  if (!client?.webOrigins.includes(origin)) return false;
  reply.header('access-control-allow-origin', origin);
  reply.header('access-control-expose-headers', EXPOSED_HEADERS);
  return true;
}

/** allowClientOrigin for the authorization server's own endpoints: a refusal is `invalid_request` (RFC 6749 §5.2). */
export function checkClientOrigin(request: FastifyRequest, reply: FastifyReply, services: Services, client: Client): void {
  if (!allowClientOrigin(request, reply, services, client)) throw new OAuthError('invalid_request', ORIGIN_REFUSED);
}

/** Preflight answers for the endpoints browser apps call, by path and the methods each takes. */
export function registerPreflights(app: FastifyInstance, services: Services, endpoints: Record<string, string[]>): void {
  for (const [path, methods] of Object.entries(endpoints)) {
    app.options(path, async (request, reply) => {
      const origin = crossOrigin(request, services);
      const method = request.headers['access-control-request-method'];
      if (origin !== undefined) varyOnOrigin(reply);
      // Unknown origins and methods get no CORS headers: the browser then stops the request itself.
      if (
        origin !== undefined &&
        typeof method === 'string' &&
        methods.includes(method) &&
        services.oauth.clients.anyAllowsOrigin(origin)
      ) {
        reply.header('access-control-allow-origin', origin);
        reply.header('access-control-allow-methods', methods.join(', '));
        reply.header('access-control-allow-headers', ALLOWED_HEADERS);
        reply.header('access-control-max-age', String(PREFLIGHT_MAX_AGE_S));
      }
      reply.header('allow', [...methods, 'OPTIONS'].join(', '));
      return reply.code(204).send();
    });
  }
}

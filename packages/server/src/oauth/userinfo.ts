import type { FastifyReply, FastifyRequest } from 'fastify';
import { authChallenge } from '../http/challenge.ts';
import { HttpError } from '../http/errors.ts';
import type { Services } from '../services.ts';
import { allowClientOrigin, ORIGIN_REFUSED } from './cors.ts';
import { PATHS } from './discovery.ts';
import { checkResourceProof } from './dpop/check-resource-proof.ts';
import { readDpopHeaders } from './dpop/read-dpop-headers.ts';
import { verifyAccessToken } from './introspect.ts';
import { presentedCertificate } from './mtls/client-certificate.ts';
import { userClaims } from './tokens/id-tokens.ts';

function bearerError(
  status: number,
  code: 'invalid_token' | 'insufficient_scope' | 'invalid_request',
  description: string,
): HttpError {
  const error = new HttpError(status, code, description);
  // RFC 6750 §3: the challenge names the error; without credentials it names none.
  error.headers['www-authenticate'] = authChallenge(['Bearer'], { code, description });
  return error;
}

/** OIDC Core §5.3: GET or POST with a bearer (or RFC 9449 DPoP) access token that carries the openid scope. */
export async function handleUserinfo(request: FastifyRequest, reply: FastifyReply, services: Services) {
  reply.header('cache-control', 'no-store');
  const header = request.headers.authorization;
  const fromBody = (request.body as Record<string, unknown> | undefined)?.access_token;
  // RFC 6750 §2: one method per request; the query-string method is not accepted (RFC 9700 §2.4... §4.3.2).
  if (header && fromBody !== undefined) throw bearerError(400, 'invalid_request', 'use one way to send the access token');
  const credentials = header ? /^(Bearer|DPoP) +(\S+)$/i.exec(header) : null;
  const token = header ? credentials?.[2] : typeof fromBody === 'string' ? fromBody : undefined;
  if (!token) {
    const error = new HttpError(401, 'invalid_token', 'an access token is required');
    error.headers['www-authenticate'] = authChallenge(['Bearer']);
    throw error;
  }
  const payload = await verifyAccessToken(token, services.publicUrl(), services.signingKeys, services.oauth);
  if (!payload) throw bearerError(401, 'invalid_token', 'the access token is invalid, expired or revoked');
  // A page on another origin reads UserInfo only for a client that lists that origin (cors.ts).
  if (!allowClientOrigin(request, reply, services, services.oauth.clients.find(String(payload.client_id))))
    throw bearerError(400, 'invalid_request', ORIGIN_REFUSED);
  await checkResourceProof({
    scheme: credentials?.[1]?.toLowerCase() === 'dpop' ? 'dpop' : credentials ? 'bearer' : 'body',
    accessToken: token,
    payload,
    headers: readDpopHeaders(request.raw),
    method: request.method,
    url: `${services.publicUrl()}${PATHS.userinfo}`,
    db: services.database.db,
    digests: services.digests,
  });
  // RFC 8705 §3: a certificate-bound token is only good on a connection presenting that certificate.
  const x5t = (payload.cnf as Record<string, unknown> | undefined)?.['x5t#S256'];
  if (typeof x5t === 'string' && presentedCertificate(request)?.thumbprint !== x5t) {
    throw bearerError(401, 'invalid_token', 'the access token is bound to a client certificate this connection did not present');
  }
  const scope = typeof payload.scope === 'string' ? payload.scope : '';
  if (!scope.split(' ').includes('openid') || payload.sub === payload.client_id) {
    throw bearerError(403, 'insufficient_scope', 'the access token does not carry the openid scope of a user');
  }
  const user = await services.users.get(String(payload.sub)).catch(() => null);
  if (!user) throw bearerError(401, 'invalid_token', 'the user no longer exists');
  return userClaims(user, scope);
}

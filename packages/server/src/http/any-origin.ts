import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * `Access-Control-Allow-Origin: *` for a public document (discovery, a JWKS, the revocation feed):
 * any web page may read it, and no credentials are involved (Fetch standard, CORS protocol).
 */
export function allowAnyOrigin(request: FastifyRequest, reply: FastifyReply): void {
  if (request.headers.origin !== undefined) reply.header('access-control-allow-origin', '*');
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Headers every answer carries unless a route sets its own (the login pages set their CSP).
 * JSON never needs scripts, frames or referrers.
 */
const DEFAULTS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};
// RFC 6797 §7.2: HSTS only over a secure transport.
const DEFAULTS_TLS = { ...DEFAULTS, 'strict-transport-security': 'max-age=31536000' };

export function setSecurityHeaders(request: FastifyRequest, reply: FastifyReply): void {
  reply.headers('encrypted' in request.raw.socket ? DEFAULTS_TLS : DEFAULTS);
  reply.header('x-request-id', request.id);
}

export function registerSecurityHeaders(app: FastifyInstance): void {
  // Set as the request arrives, in one call, so a route that sets its own value simply replaces
  // the default; callback style keeps a promise off the hot path.
  app.addHook('onRequest', (request, reply, done) => {
    setSecurityHeaders(request, reply);
    done();
  });
}

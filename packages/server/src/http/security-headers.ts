import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Headers every answer carries unless a route sets its own (the login pages set their CSP).
 * JSON never needs scripts, frames or referrers.
 */
export function setSecurityHeaders(request: FastifyRequest, reply: FastifyReply): void {
  const set = (name: string, value: string) => {
    if (!reply.hasHeader(name)) reply.header(name, value);
  };
  set('x-content-type-options', 'nosniff');
  set('x-frame-options', 'DENY');
  set('referrer-policy', 'no-referrer');
  set('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
  set('cross-origin-opener-policy', 'same-origin');
  set('cross-origin-resource-policy', 'same-origin');
  // RFC 6797 §7.2: only meaningful, and only allowed, over a secure transport.
  if (request.raw.socket && 'encrypted' in request.raw.socket) set('strict-transport-security', 'max-age=31536000');
  reply.header('x-request-id', String(request.id));
}

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    setSecurityHeaders(request, reply);
    return payload;
  });
}

import type { FastifyInstance } from 'fastify';

/**
 * Headers every answer carries unless a route sets its own (the login pages set their CSP).
 * JSON never needs scripts, frames or referrers.
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const set = (name: string, value: string) => {
      if (!reply.hasHeader(name)) reply.header(name, value);
    };
    set('x-content-type-options', 'nosniff');
    set('x-frame-options', 'DENY');
    set('referrer-policy', 'no-referrer');
    set('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
    set('cross-origin-opener-policy', 'same-origin');
    set('cross-origin-resource-policy', 'same-origin');
    // RFC 6797: only meaningful, and only allowed, over a secure transport.
    if (request.protocol === 'https') set('strict-transport-security', 'max-age=31536000');
    reply.header('x-request-id', String(request.id));
    return payload;
  });
}

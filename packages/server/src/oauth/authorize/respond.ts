import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { AuthorizationRequest } from './authorization-context.ts';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const FORM_POST_SCRIPT = 'document.forms[0].submit();';
const FORM_POST_CSP = `default-src 'none'; script-src 'sha256-${createHash('sha256').update(FORM_POST_SCRIPT).digest('base64')}'; form-action *; frame-ancestors 'none'; base-uri 'none'`;

/**
 * Sends an authorization response (success or error) to the client's validated redirect URI in
 * the requested mode, with `state` echoed and `iss` always present (RFC 9207 §2).
 */
export function sendAuthorizationResponse(
  reply: FastifyReply,
  request: Pick<AuthorizationRequest, 'redirectUri' | 'responseMode' | 'state'>,
  issuer: string,
  params: Record<string, string>,
): FastifyReply {
  const all: Record<string, string> = { ...params, iss: issuer };
  if (request.state !== undefined) all.state = request.state;
  reply.header('cache-control', 'no-store');
  if (request.responseMode === 'form_post') {
    const inputs = Object.entries(all)
      .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
      .join('');
    reply.header('content-security-policy', FORM_POST_CSP);
    return reply
      .type('text/html; charset=utf-8')
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Continue</title></head><body><form method="post" action="${escapeHtml(request.redirectUri)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form><script>${FORM_POST_SCRIPT}</script></body></html>`,
      );
  }
  const url = new URL(request.redirectUri);
  const encoded = new URLSearchParams(all);
  if (request.responseMode === 'fragment') url.hash = encoded.toString();
  else for (const [name, value] of encoded) url.searchParams.append(name, value);
  return reply.code(303).header('location', url.href).send();
}

import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { jwtVerify } from 'jose';
import type { Services } from '../services.ts';
import { cookieOptions, sendErrorPage } from './authorize/authorize-endpoint.ts';
import { SESSION_COOKIE } from './authorize/sessions.ts';
import { PATHS } from './discovery.ts';
import { escapeHtml, PAGE_CSP, renderErrorPage } from './interaction/pages.ts';
import { type FormBody, param } from './token/form.ts';

/** A confirmation token tied to the browser's session cookie: a cross-site page cannot log the user out. */
function confirmationFor(services: Services, sessionCookie: string): string {
  return services.digests.digest('logout-confirmation', sessionCookie);
}

/**
 * OpenID Connect RP-Initiated Logout 1.0. With a valid id_token_hint the session ends at once and
 * the browser goes to a post_logout_redirect_uri registered for that client (exact match), with
 * `state`. Without one, the user confirms on our page first.
 */
export async function handleLogout(request: FastifyRequest, reply: FastifyReply, services: Services): Promise<FastifyReply> {
  const params = ((request.method === 'GET' ? request.query : request.body) ?? {}) as FormBody;
  const issuer = services.publicUrl();
  const hint = param(params, 'id_token_hint');
  const redirect = param(params, 'post_logout_redirect_uri');
  const state = param(params, 'state');
  let clientId = param(params, 'client_id');
  let hinted: { sub?: string | undefined; sid?: unknown } | null = null;
  if (hint !== undefined) {
    try {
      // An expired ID token still identifies the client and user (§2); the signature must be ours,
      // and it must be an ID token (typ JWT), not one of our access tokens (typ at+jwt).
      const { payload } = await jwtVerify(hint, services.signingKeys.verifier('token'), {
        issuer,
        typ: 'JWT',
        currentDate: new Date(0),
      });
      const aud = Array.isArray(payload.aud) ? payload.aud[0] : payload.aud;
      if (clientId !== undefined && clientId !== aud)
        return sendErrorPage(reply, 400, 'Sign-out failed', 'The id_token_hint was issued to another application.');
      clientId = aud;
      hinted = payload;
    } catch {
      return sendErrorPage(reply, 400, 'Sign-out failed', 'The id_token_hint is not valid.');
    }
  }
  let target: string | null = null;
  if (redirect !== undefined) {
    const client = clientId ? services.oauth.clients.find(clientId) : undefined;
    if (!client?.postLogoutRedirectUris.includes(redirect)) {
      return sendErrorPage(reply, 400, 'Sign-out failed', 'The post_logout_redirect_uri is not registered for this application.');
    }
    const url = new URL(redirect);
    if (state !== undefined) url.searchParams.set('state', state);
    target = url.href;
  }
  const cookie = request.cookies[SESSION_COOKIE];
  // §2: the user confirms unless the hint names this very session (its user, and its sid if any);
  // someone else's ID token must not sign a victim out from a link.
  const session = cookie ? await services.oauth.sessions.find(cookie) : null;
  const hintMatches =
    hinted !== null &&
    session !== null &&
    hinted.sub === session.user_id &&
    (hinted.sid === undefined || hinted.sid === session.sid);
  const given = Buffer.from(param(params, 'confirm') ?? '');
  const expected = cookie ? Buffer.from(confirmationFor(services, cookie)) : Buffer.alloc(0);
  const confirmed = hintMatches || (cookie !== undefined && given.length === expected.length && timingSafeEqual(given, expected));
  if (cookie && !confirmed) {
    const hidden = Object.entries({
      ...(redirect ? { post_logout_redirect_uri: redirect } : {}),
      ...(state ? { state } : {}),
      ...(clientId ? { client_id: clientId } : {}),
      confirm: confirmationFor(services, cookie),
    })
      .map(([n, v]) => `<input type="hidden" name="${escapeHtml(n)}" value="${escapeHtml(v)}">`)
      .join('');
    const form = `<form method="post" action="${PATHS.endSession}">${hidden}<button type="submit">Sign out</button></form></main>`;
    // A function replacer: `$` sequences in the (escaped) values must not be read as patterns.
    const html = renderErrorPage({ title: 'Sign out?', description: 'Do you want to sign out of this server?' }).replace(
      '</main>',
      () => form,
    );
    reply.header(
      'content-security-policy',
      PAGE_CSP.replace("form-action 'self'", `form-action 'self'${target ? ` ${new URL(target).origin}` : ''}`),
    );
    reply.header('cache-control', 'no-store');
    return reply.type('text/html; charset=utf-8').send(html);
  }
  if (cookie) await services.oauth.sessions.end(cookie);
  reply.clearCookie(SESSION_COOKIE, cookieOptions(issuer, 0));
  if (target) return reply.code(303).header('location', target).header('cache-control', 'no-store').send();
  return sendErrorPage(reply, 200, 'You are signed out', 'You can close this window.');
}

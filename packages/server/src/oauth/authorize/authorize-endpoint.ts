import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../../http/errors.ts';
import type { Services } from '../../services.ts';
import { PAGE_CSP, renderErrorPage } from '../interaction/pages.ts';
import type { FormBody } from '../token/form.ts';
import { type AuthorizationContext, type AuthorizationRequest, UnsafeAuthorizationError } from './authorization-context.ts';
import { completeAuthorization } from './complete-authorization.ts';
import { INTERACTION_COOKIE, INTERACTION_LIFETIME_MS } from './interactions.ts';
import { runPipeline } from './pipeline.ts';
import { sendAuthorizationResponse } from './respond.ts';
import { SESSION_COOKIE } from './sessions.ts';

export const INTERACTION_PATH = '/oauth/interaction';

export function sendErrorPage(reply: FastifyReply, status: number, title: string, description: string): FastifyReply {
  reply.header('content-security-policy', PAGE_CSP);
  reply.header('cache-control', 'no-store');
  return reply.code(status).type('text/html; charset=utf-8').send(renderErrorPage({ title, description }));
}

export function cookieOptions(issuer: string, maxAgeMs: number) {
  // HttpOnly; SameSite=Lax so the redirect back from another site still carries it; Secure over HTTPS.
  return {
    path: '/oauth',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: issuer.startsWith('https:'),
    maxAge: Math.floor(maxAgeMs / 1000),
  };
}

/** GET and POST /oauth/authorize (RFC 6749 §3.1: both methods, same parameters). */
export async function handleAuthorize(request: FastifyRequest, reply: FastifyReply, services: Services): Promise<FastifyReply> {
  const params = (request.method === 'GET' ? request.query : request.body) as FormBody | undefined;
  const issuer = services.publicUrl();
  const ctx: AuthorizationContext = { params: params ?? {}, services, issuer, request: {} };
  try {
    await runPipeline(ctx, request.cookies[SESSION_COOKIE]);
  } catch (err) {
    if (err instanceof UnsafeAuthorizationError) return sendErrorPage(reply, 400, 'This sign-in link is not valid', err.message);
    if (err instanceof HttpError && ctx.request.redirectUri) {
      // The redirect URI is the client's own: errors go back to it (RFC 6749 §4.1.2.1).
      return sendAuthorizationResponse(
        reply,
        { responseMode: ctx.request.responseMode ?? 'query', redirectUri: ctx.request.redirectUri, state: ctx.request.state },
        issuer,
        {
          error: err.code,
          error_description: err.description,
        },
      );
    }
    throw err;
  }
  const authz = ctx.request as AuthorizationRequest;
  if (ctx.needsLogin || ctx.needsConsent) {
    const browser = randomBytes(32).toString('base64url');
    const session = ctx.needsLogin ? null : ctx.session!;
    const interaction = await services.oauth.interactions.start(
      authz,
      browser,
      session ? { userId: session.user_id, sid: session.sid, authTime: session.auth_time } : null,
    );
    reply.setCookie(INTERACTION_COOKIE, browser, cookieOptions(issuer, INTERACTION_LIFETIME_MS));
    return reply.code(303).header('location', `${INTERACTION_PATH}/${interaction.id}`).header('cache-control', 'no-store').send();
  }
  const session = ctx.session!;
  return completeAuthorization(reply, services, issuer, authz, {
    userId: session.user_id,
    sid: session.sid,
    authTime: session.auth_time,
  });
}

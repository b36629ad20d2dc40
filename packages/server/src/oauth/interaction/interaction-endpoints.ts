import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { usernameKey } from '../../directory/index.ts';
import type { Services } from '../../services.ts';
import type { AuthorizationRequest } from '../authorize/authorization-context.ts';
import { cookieOptions, INTERACTION_PATH, sendErrorPage } from '../authorize/authorize-endpoint.ts';
import { completeAuthorization } from '../authorize/complete-authorization.ts';
import { INTERACTION_COOKIE, type InteractionRow, requestOf } from '../authorize/interactions.ts';
import { sendAuthorizationResponse } from '../authorize/respond.ts';
import { SESSION_COOKIE, SESSION_LIFETIME_MS } from '../authorize/sessions.ts';
import { type FormBody, param } from '../token/form.ts';
import { pageCspFor, renderConsentPage, renderLoginPage } from './pages.ts';

const SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: 'Know who you are',
  profile: 'See your name and username',
  email: 'See your email address',
};

function page(reply: FastifyReply, status: number, html: string, authz: AuthorizationRequest): FastifyReply {
  // frame-ancestors 'none' (in the CSP) and X-Frame-Options stop clickjacking; no-referrer keeps
  // the interaction id out of other sites' logs.
  reply.header('content-security-policy', pageCspFor(authz.redirectUri));
  reply.header('cache-control', 'no-store');
  return reply.code(status).type('text/html; charset=utf-8').send(html);
}

async function load(
  request: FastifyRequest<{ Params: { id: string } }>,
  reply: FastifyReply,
  services: Services,
): Promise<InteractionRow | null> {
  const row = await services.oauth.interactions.find(request.params.id, request.cookies[INTERACTION_COOKIE]);
  if (!row) sendErrorPage(reply, 400, 'This sign-in has expired', 'Go back to the app and start again.');
  return row;
}

function csrfMatches(row: InteractionRow, form: FormBody): boolean {
  const given = Buffer.from(param(form, 'csrf') ?? '');
  const expected = Buffer.from(row.csrf);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function renderLogin(
  row: InteractionRow,
  services: Services,
  authz: AuthorizationRequest,
  error?: string,
  typed?: string,
): string {
  const client = services.oauth.clients.find(row.client_id);
  return renderLoginPage({
    action: `${INTERACTION_PATH}/${row.id}/login`,
    csrf: row.csrf,
    clientName: client?.name ?? 'the application',
    // After a failed attempt the username stays filled in; only the password is asked again.
    loginHint: typed || authz.loginHint,
    error,
  });
}

/** GET /oauth/interaction/:id — the login page, or the consent page once logged in. */
export async function showInteraction(
  request: FastifyRequest<{ Params: { id: string } }>,
  reply: FastifyReply,
  services: Services,
) {
  const row = await load(request, reply, services);
  if (!row) return reply;
  const authz = requestOf(row);
  if (row.user_id === null) return page(reply, 200, renderLogin(row, services, authz), authz);
  const user = await services.users.get(row.user_id);
  const client = services.oauth.clients.find(row.client_id);
  const scopes = authz.scope
    .split(' ')
    .filter(Boolean)
    .map((name) => ({ name, description: SCOPE_DESCRIPTIONS[name] ?? `Access “${name}”` }));
  return page(
    reply,
    200,
    renderConsentPage({
      action: `${INTERACTION_PATH}/${row.id}/consent`,
      csrf: row.csrf,
      clientName: client?.name ?? 'the application',
      scopes,
      userName: user.username,
    }),
    authz,
  );
}

/** POST /oauth/interaction/:id/login — throttled per account and IP; the same answer for every failure. */
export async function submitLogin(request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, services: Services) {
  const row = await load(request, reply, services);
  if (!row) return reply;
  const form = (request.body ?? {}) as FormBody;
  if (!csrfMatches(row, form)) return sendErrorPage(reply, 403, 'This form has expired', 'Go back to the app and start again.');
  const authz = requestOf(row);
  const username = param(form, 'username') ?? '';
  const password = param(form, 'password') ?? '';
  const keys = { account: usernameKey(username), ip: request.ip };
  const wait = await services.loginThrottle.admit(keys);
  if (wait > 0) {
    reply.header('retry-after', String(wait));
    return page(
      reply,
      429,
      renderLogin(row, services, authz, `Too many attempts. Try again in ${Math.ceil(wait / 60)} minute(s).`, username),
      authz,
    );
  }
  const user = username && password ? await services.users.verifyCredentials(username, password) : null;
  if (!user) {
    return page(reply, 401, renderLogin(row, services, authz, 'The username or password is incorrect.', username), authz);
  }
  await services.loginThrottle.succeeded(keys);
  const session = await services.oauth.sessions.create(user.id);
  const issuer = services.publicUrl();
  reply.setCookie(SESSION_COOKIE, session.cookie, cookieOptions(issuer, SESSION_LIFETIME_MS));
  const login = { userId: user.id, sid: session.row.sid, authTime: session.row.auth_time };
  const client = services.oauth.clients.find(row.client_id);
  const needsConsent =
    !!client &&
    !client.firstParty &&
    (authz.prompt.includes('consent') || !(await services.oauth.consents.covers(user.id, client.clientId, authz.scope)));
  if (needsConsent) {
    await services.oauth.interactions.loggedIn(row.id, login);
    // 303 after POST: the consent page is a fresh GET.
    return reply.code(303).header('location', `${INTERACTION_PATH}/${row.id}`).send();
  }
  if (!(await services.oauth.interactions.finish(row.id)))
    return sendErrorPage(reply, 400, 'This sign-in has expired', 'Go back to the app and start again.');
  return completeAuthorization(reply, services, issuer, authz, login);
}

/** POST /oauth/interaction/:id/consent — decision=allow|deny. */
export async function submitConsent(
  request: FastifyRequest<{ Params: { id: string } }>,
  reply: FastifyReply,
  services: Services,
) {
  const row = await load(request, reply, services);
  if (!row) return reply;
  const form = (request.body ?? {}) as FormBody;
  if (!csrfMatches(row, form) || row.user_id === null)
    return sendErrorPage(reply, 403, 'This form has expired', 'Go back to the app and start again.');
  if (!(await services.oauth.interactions.finish(row.id)))
    return sendErrorPage(reply, 400, 'This sign-in has expired', 'Go back to the app and start again.');
  const authz = requestOf(row);
  const issuer = services.publicUrl();
  if (param(form, 'decision') !== 'allow') {
    return sendAuthorizationResponse(reply, authz, issuer, {
      error: 'access_denied',
      error_description: 'the user denied the request',
    });
  }
  await services.oauth.consents.grant(row.user_id, row.client_id, authz.scope);
  return completeAuthorization(reply, services, issuer, authz, {
    userId: row.user_id,
    sid: row.sid,
    authTime: row.auth_time ?? Date.now(),
  });
}

import { jwtVerify } from 'jose';
import { OAuthError } from '../../http/errors.ts';
import { param } from '../token/form.ts';
import type { AuthorizationContext } from './authorization-context.ts';

// OIDC Core §3.1.2.1–§3.1.2.3: a session older than max_age, prompt=login, or an id_token_hint for
// another user means the user must log in again; prompt=none then fails with login_required.
export async function loadSession(ctx: AuthorizationContext, cookie: string | undefined): Promise<void> {
  const request = ctx.request;
  const hint = param(ctx.params, 'id_token_hint');
  if (hint !== undefined) {
    try {
      // Our own ID token, even an expired one, names who the client believes is logged in.
      const { payload } = await jwtVerify(hint, ctx.services.signingKeys.verifier('token'), {
        issuer: ctx.issuer,
        audience: request.clientId,
        currentDate: new Date(0),
      });
      request.hintSubject = payload.sub;
    } catch {
      throw new OAuthError('invalid_request', 'id_token_hint is not an ID token this server issued to this client');
    }
  }
  const session = await ctx.services.oauth.sessions.find(cookie);
  ctx.session = session;
  let needsLogin = !session || request.prompt?.includes('login') === true;
  // max_age=0 always asks again (OIDC Core §3.1.2.1; it is prompt=login in effect).
  if (session && request.maxAge !== undefined && Date.now() - session.auth_time >= request.maxAge * 1000) needsLogin = true;
  if (session && request.hintSubject !== undefined && request.hintSubject !== session.user_id) needsLogin = true;
  if (needsLogin && request.prompt?.includes('none')) throw new OAuthError('login_required', 'the user must log in');
  ctx.needsLogin = needsLogin;
}

import type { FastifyReply } from 'fastify';
import type { Services } from '../../services.ts';
import { issueAccessToken } from '../tokens/access-tokens.ts';
import { issueIdToken } from '../tokens/id-tokens.ts';
import type { AuthorizationRequest } from './authorization-context.ts';
import { sendAuthorizationResponse } from './respond.ts';

export interface AuthenticatedUser {
  userId: string;
  sid: string | null;
  authTime: number;
}

/**
 * The user is known and has consented: issue what the response type asks for and send it back.
 * RFC 6749 §4.1.2 (code), §4.2.2 (token, never with a refresh token), OIDC Core §3.2.2.5 and
 * §3.3.2.5 (id_token with at_hash / c_hash binding it to what travels beside it).
 */
export async function completeAuthorization(
  reply: FastifyReply,
  services: Services,
  issuer: string,
  request: AuthorizationRequest,
  user: AuthenticatedUser,
): Promise<FastifyReply> {
  const types = request.responseType.split(' ');
  const params: Record<string, string> = {};
  if (types.includes('code')) params.code = await services.oauth.codes.issue(request, user);
  const client = services.oauth.clients.find(request.clientId)!;
  if (types.includes('token')) {
    const token = await issueAccessToken(services.signingKeys, {
      issuer,
      clientId: client.clientId,
      userId: user.userId,
      scope: request.scope,
      audience: issuer,
      lifetime: client.accessTokenLifetime,
      authTime: user.authTime,
    });
    // Recorded under a grant (with no refresh token), so revoking consent or deleting the user reaches it.
    const grant = await services.oauth.grants.create({
      client,
      userId: user.userId,
      scope: request.scope,
      authTime: user.authTime,
    });
    await services.oauth.grants.recordAccessToken(grant, token.jti, token.expiresAt);
    Object.assign(params, { access_token: token.token, token_type: 'Bearer', expires_in: String(client.accessTokenLifetime) });
    if (request.scope) params.scope = request.scope;
  }
  if (types.includes('id_token')) {
    params.id_token = await issueIdToken(services.signingKeys, {
      issuer,
      clientId: client.clientId,
      user: await services.users.get(user.userId),
      // OIDC Core §5.4: with no access token to fetch userinfo, the scope's claims go in the ID token.
      scope: types.includes('token') || types.includes('code') ? 'openid' : request.scope,
      authTime: user.authTime,
      nonce: request.nonce,
      sid: user.sid,
      accessToken: params.access_token,
      code: params.code,
    });
  }
  return sendAuthorizationResponse(reply, request, issuer, params);
}

import type { FastifyReply } from 'fastify';
import type { Services } from '../../services.ts';
import type { AuthorizationRequest } from './authorization-context.ts';
import { sendAuthorizationResponse } from './respond.ts';

export interface AuthenticatedUser {
  userId: string;
  sid: string | null;
  authTime: number;
}

/** RFC 6749 §4.1.2: the user is known and has consented; issue the code and send it back. */
export async function completeAuthorization(
  reply: FastifyReply,
  services: Services,
  issuer: string,
  request: AuthorizationRequest,
  user: AuthenticatedUser,
): Promise<FastifyReply> {
  const code = await services.oauth.codes.issue(request, user);
  return sendAuthorizationResponse(reply, request, issuer, { code });
}

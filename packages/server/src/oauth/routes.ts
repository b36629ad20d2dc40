import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkClientAttestation } from '../attestation/index.ts';
import { allowAnyOrigin } from '../http/any-origin.ts';
import { OAuthError } from '../http/errors.ts';
import type { Services } from '../services.ts';
import { handleAuthorize, INTERACTION_PATH } from './authorize/authorize-endpoint.ts';
import { pushAuthorizationRequest } from './authorize/push-authorization-request.ts';
import { checkClientOrigin, registerPreflights } from './cors.ts';
import { discoveryDocument, PATHS } from './discovery.ts';
import { checkTokenRequestProof } from './dpop/check-token-request-proof.ts';
import { issueDpopNonce } from './dpop/dpop-nonce.ts';
import { readDpopHeaders } from './dpop/read-dpop-headers.ts';
import { showInteraction, submitConsent, submitLogin } from './interaction/interaction-endpoints.ts';
import { introspect } from './introspect.ts';
import { handleLogout } from './logout.ts';
import { presentedCertificate } from './mtls/client-certificate.ts';
import { registerRegistrationRoutes } from './registration/index.ts';
import { revokeToken } from './revoke.ts';
import { authenticateClient } from './token/authenticate-client.ts';
import { type FormBody, parseForm, requiredParam } from './token/form.ts';
import { dispatchGrant } from './token/token-endpoint.ts';
import { handleUserinfo } from './userinfo.ts';

function noStore(reply: FastifyReply): void {
  // RFC 6749 §5.1: token responses must not be cached.
  reply.header('cache-control', 'no-store');
  reply.header('pragma', 'no-cache');
}

/**
 * The authorization server's public endpoints, in one place:
 *   GET  /.well-known/openid-configuration, /.well-known/oauth-authorization-server  discovery
 *   GET|POST /oauth/authorize                  authorization endpoint (pipeline.ts)
 *   GET  /oauth/interaction/:id                login or consent page
 *   POST /oauth/interaction/:id/login|consent  their forms
 *   GET|POST /oauth/userinfo                   OIDC Core §5.3
 *   POST /oauth/token        token endpoint (grant registry)
 *   POST /oauth/introspect   RFC 7662
 *   POST /oauth/revoke       RFC 7009
 *   GET  /oauth/revocations  revoked access tokens that have not expired yet
 */
export async function oauthRoutes(app: FastifyInstance, services: Services): Promise<void> {
  // OAuth endpoints take form bodies (RFC 6749 §4.1.3, RFC 7662 §2.1, RFC 7009 §2.1).
  // 64 KiB is far more than any OAuth request needs; the global limit is for other APIs.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 65_536 },
    (_request, body, done) => {
      try {
        done(null, parseForm(body as string));
      } catch (err) {
        done(err as Error, undefined);
      }
    },
  );
  await app.register(cookie);
  const issuer = () => services.publicUrl();
  const form = (request: FastifyRequest): FormBody => {
    // RFC 6749 §4.1.3 / §4.4.2, RFC 7662 §2.1, RFC 7009 §2.1: form-encoded bodies only.
    const type = request.headers['content-type'] ?? '';
    if (!/^application\/x-www-form-urlencoded(;|$)/i.test(type) || typeof request.body !== 'object' || request.body === null) {
      throw new OAuthError('invalid_request', 'the body must be application/x-www-form-urlencoded');
    }
    return request.body as FormBody;
  };
  const caller = (request: FastifyRequest, path: string) =>
    authenticateClient({
      clients: services.oauth.clients,
      db: services.database.db,
      issuer: issuer(),
      endpoint: `${issuer()}${path}`,
      authorization: request.headers.authorization,
      form: form(request),
      certificate: presentedCertificate(request),
    });

  const discovery = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', 'public, max-age=300');
    allowAnyOrigin(request, reply);
    return discoveryDocument(issuer(), services.mtlsUrl());
  };
  app.get('/.well-known/openid-configuration', discovery);
  app.get('/.well-known/oauth-authorization-server', discovery);

  app.get(PATHS.authorization, (request, reply) => handleAuthorize(request, reply, services));
  app.post(PATHS.authorization, (request, reply) => handleAuthorize(request, reply, services));
  app.get<{ Params: { id: string } }>(`${INTERACTION_PATH}/:id`, (request, reply) => showInteraction(request, reply, services));
  app.post<{ Params: { id: string } }>(`${INTERACTION_PATH}/:id/login`, (request, reply) =>
    submitLogin(request, reply, services),
  );
  app.post<{ Params: { id: string } }>(`${INTERACTION_PATH}/:id/consent`, (request, reply) =>
    submitConsent(request, reply, services),
  );
  app.get(PATHS.endSession, (request, reply) => handleLogout(request, reply, services));
  app.post(PATHS.endSession, (request, reply) => handleLogout(request, reply, services));
  app.get(PATHS.userinfo, (request, reply) => handleUserinfo(request, reply, services));
  app.post(PATHS.userinfo, (request, reply) => handleUserinfo(request, reply, services));

  app.post(PATHS.token, async (request, reply) => {
    noStore(reply);
    const body = form(request);
    const client = await caller(request, PATHS.token);
    checkClientOrigin(request, reply, services, client);
    // RFC 9449 §8: every answer to a DPoP token request carries a fresh nonce for the next proof.
    const dpopHeaders = readDpopHeaders(request.raw);
    if (dpopHeaders || client.requireDpop) reply.header('dpop-nonce', issueDpopNonce(services.digests));
    const dpop = await checkTokenRequestProof({
      client,
      headers: dpopHeaders,
      method: request.method,
      url: `${issuer()}${PATHS.token}`,
      db: services.database.db,
      digests: services.digests,
    });
    if (client.requireAttestation)
      await checkClientAttestation(services, request.headers['portcullis-attestation'], dpop?.jkt, client.attestationAppIds);
    return dispatchGrant(requiredParam(body, 'grant_type'), {
      client,
      form: body,
      ip: request.ip,
      issuer: issuer(),
      signingKeys: services.signingKeys,
      grants: services.oauth.grants,
      users: services.users,
      throttle: services.loginThrottle,
      oauth: services.oauth,
      dpop,
      // RFC 8705 §3: a client that authenticated with its certificate gets tokens bound to it.
      certificateThumbprint:
        client.authMethod === 'tls_client_auth' || client.authMethod === 'self_signed_tls_client_auth'
          ? presentedCertificate(request)?.thumbprint
          : undefined,
    });
  });

  app.post(PATHS.pushedAuthorization, async (request, reply) => {
    noStore(reply);
    const client = await caller(request, PATHS.pushedAuthorization);
    return reply.code(201).send(await pushAuthorizationRequest(services, client, form(request)));
  });

  app.post(PATHS.introspection, async (request, reply) => {
    noStore(reply);
    const client = await caller(request, PATHS.introspection);
    // RFC 7662 §2.1: the endpoint is for authenticated callers (resource servers, clients).
    if (client.authMethod === 'none') throw new OAuthError('invalid_client', 'introspection needs an authenticated client', 401);
    return introspect(client, requiredParam(form(request), 'token'), issuer(), services.signingKeys, services.oauth);
  });

  app.post(PATHS.revocation, async (request, reply) => {
    noStore(reply);
    const client = await caller(request, PATHS.revocation);
    checkClientOrigin(request, reply, services, client);
    await revokeToken(client, requiredParam(form(request), 'token'), issuer(), services.signingKeys, services.oauth);
    return reply.code(200).send();
  });

  app.get(PATHS.revocationFeed, async (request, reply) => {
    reply.header('cache-control', 'public, max-age=5');
    allowAnyOrigin(request, reply);
    return { revoked: services.oauth.revocations.live().map((r) => ({ jti: r.jti, exp: Math.floor(r.expires_at / 1000) })) };
  });

  // Browser apps on other origins: the endpoints a client's pages call (cors.ts).
  registerPreflights(app, services, {
    [PATHS.token]: ['POST'],
    [PATHS.revocation]: ['POST'],
    [PATHS.userinfo]: ['GET', 'POST'],
  });

  registerRegistrationRoutes(app, services);
}

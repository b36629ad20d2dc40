import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../../http/errors.ts';
import type { Services } from '../../services.ts';
import { REGISTRATION_PATH } from './client-information.ts';
import { InitialAccessTokens } from './initial-access-tokens.ts';
import { readBearerToken } from './read-bearer-token.ts';
import { Registrations } from './registrations.ts';
import { ClientIdParams, ClientInformation, ClientMetadataBody } from './schemas.ts';

async function noStore(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  // RFC 7591 §3.2.1, RFC 7592 §3: answers carry credentials and must not be cached; errors too.
  reply.header('cache-control', 'no-store');
  reply.header('pragma', 'no-cache');
}

/**
 * RFC 7591 §3.1: a JSON object. Schema errors are `invalid_client_metadata` (§3.2.2), reported
 * only once the caller has authenticated, so the routes attach validation instead of failing early.
 */
function checkBody(request: FastifyRequest): void {
  const type = request.headers['content-type'] ?? '';
  const body = request.body;
  if (!/^application\/json(;|$)/i.test(type) || typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OAuthError('invalid_request', 'the body must be a JSON object of client metadata (RFC 7591 §3.1)');
  }
  if (request.validationError) throw new OAuthError('invalid_client_metadata', request.validationError.message);
}

/**
 * Dynamic client registration, gated by admin-issued initial access tokens:
 *   POST   /oauth/register             RFC 7591 §3.1, Bearer <initial access token>
 *   GET    /oauth/register/:client_id  RFC 7592 §2.1, Bearer <registration access token>
 *   PUT    /oauth/register/:client_id  RFC 7592 §2.2, replaces the metadata
 *   DELETE /oauth/register/:client_id  RFC 7592 §2.3
 */
export function registerRegistrationRoutes(fastify: FastifyInstance, services: Services): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = services.database;
  const initialAccessTokens = new InitialAccessTokens(db, services.digests);
  const registrations = new Registrations({
    db,
    digests: services.digests,
    clients: services.oauth.clients,
    initialAccessTokens,
    maxTokenLifetime: services.config.maxTokenLifetime,
  });
  const issuer = () => services.publicUrl();
  const registeredClient = (request: FastifyRequest<{ Params: { client_id: string } }>) => {
    const token = readBearerToken(request.headers.authorization, 'the registration access token');
    return registrations.authenticate(request.params.client_id, token).then((registered) => ({ registered, token }));
  };
  const configuration = `${REGISTRATION_PATH}/:client_id`;

  app.post(
    REGISTRATION_PATH,
    { onRequest: noStore, attachValidation: true, schema: { body: ClientMetadataBody, response: { 201: ClientInformation } } },
    async (request, reply) => {
      const initial = await initialAccessTokens.check(readBearerToken(request.headers.authorization, 'an initial access token'));
      checkBody(request);
      return reply.code(201).send(await registrations.register(initial, request.body, issuer()));
    },
  );

  app.get(
    configuration,
    { onRequest: noStore, schema: { params: ClientIdParams, response: { 200: ClientInformation } } },
    async (request) => {
      const { registered, token } = await registeredClient(request);
      return registrations.read(registered.client, token, issuer());
    },
  );

  app.put(
    configuration,
    {
      onRequest: noStore,
      attachValidation: true,
      schema: { params: ClientIdParams, body: ClientMetadataBody, response: { 200: ClientInformation } },
    },
    async (request) => {
      const { registered, token } = await registeredClient(request);
      checkBody(request);
      return registrations.update(registered, token, request.body, issuer());
    },
  );

  app.delete(configuration, { onRequest: noStore, schema: { params: ClientIdParams } }, async (request, reply) => {
    const { registered } = await registeredClient(request);
    await registrations.delete(registered.client);
    return reply.code(204).send();
  });
}

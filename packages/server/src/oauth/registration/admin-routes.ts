import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { DateTime, NullableDateTime, NullableString } from '../../http/schemas.ts';
import type { Services } from '../../services.ts';
import { INITIAL_ACCESS_TOKEN_LIMITS, InitialAccessTokens } from './initial-access-tokens.ts';

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
const Scope = Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' });

const InitialAccessTokenView = Type.Object({
  id: Type.String(),
  max_uses: Type.Integer(),
  uses: Type.Integer(),
  scopes: Type.Array(Type.String()),
  created_by: NullableString,
  created_at: DateTime,
  expires_at: DateTime,
  revoked_at: NullableDateTime,
});

/** Initial access tokens for dynamic client registration (RFC 7591 §3) in the admin API. */
export function registerInitialAccessTokenAdminRoutes(fastify: FastifyInstance, services: Services): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tokens = new InitialAccessTokens(services.database.db, services.digests);
  const { defaultLifetime, maxLifetime, defaultUses } = INITIAL_ACCESS_TOKEN_LIMITS;

  app.post(
    '/initial-access-tokens',
    {
      config: { access: 'sensitive', action: 'initial_access_tokens.create' },
      schema: {
        summary: 'Issue an initial access token for POST /oauth/register; its value is in this answer only',
        body: Type.Union([
          Type.Object(
            {
              expires_in: Type.Optional(
                Type.Integer({ minimum: 60, maximum: maxLifetime, description: `seconds; default ${defaultLifetime}` }),
              ),
              max_uses: Type.Optional(
                Type.Integer({ minimum: 1, maximum: 10_000, description: `clients it may register; default ${defaultUses}` }),
              ),
              scopes: Type.Optional(
                Type.Array(Scope, {
                  maxItems: 100,
                  description:
                    'API scopes the clients it registers may have; default none. OpenID Connect scopes (openid, profile, email) need no listing',
                }),
              ),
            },
            { additionalProperties: false },
          ),
          Type.Null(),
        ]),
        response: {
          201: Type.Object({
            id: Type.String(),
            token: Type.String(),
            expires_at: DateTime,
            max_uses: Type.Integer(),
            scopes: Type.Array(Type.String()),
          }),
        },
      },
    },
    async (request, reply) => {
      const created = await tokens.create({
        expiresIn: request.body?.expires_in ?? defaultLifetime,
        maxUses: request.body?.max_uses ?? defaultUses,
        scopes: request.body?.scopes ?? [],
        createdBy: request.adminKey?.id ?? null,
      });
      request.auditTarget = created.id;
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/initial-access-tokens',
    {
      config: { access: 'read' },
      schema: {
        summary: 'List initial access tokens (never their values)',
        response: { 200: Type.Object({ initial_access_tokens: Type.Array(InitialAccessTokenView) }) },
      },
    },
    async () => ({ initial_access_tokens: await tokens.list() }),
  );

  app.delete(
    '/initial-access-tokens/:id',
    {
      config: { access: 'sensitive', action: 'initial_access_tokens.revoke' },
      schema: {
        summary: 'Revoke an initial access token; clients registered with it stay',
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await tokens.revoke(request.params.id);
      return reply.code(204).send(null);
    },
  );
}

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { DateTime, NullableDateTime, NullableString } from '../http/schemas.ts';
import type { Services } from '../services.ts';

const Release = Type.Object({
  id: Type.String(),
  app_id: Type.String(),
  version: NullableString,
  digest: Type.String(),
  created_at: DateTime,
  revoked_at: NullableDateTime,
});

/**
 * Public attestation endpoints:
 *   POST /attest/challenge   a single-use nonce, valid for 60 s
 */
export async function attestationRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.post('/attest/challenge', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return reply.code(201).send(await services.attestation.challenges.issue());
  });
}

/** App releases in the admin API. */
export function registerAppsAdminRoutes(fastify: FastifyInstance, services: Services): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/apps',
    {
      config: { access: 'write', action: 'apps.register' },
      schema: {
        summary: 'Register a genuine app release by the SHA-256 of its artifact or signing certificate',
        body: Type.Object(
          {
            app_id: Type.String({ minLength: 1, maxLength: 255 }),
            digest: Type.String({ description: 'sha256:HEX', maxLength: 80 }),
            version: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Release },
      },
    },
    async (request, reply) => {
      request.auditTarget = request.body.app_id;
      return reply
        .code(201)
        .send(
          await services.attestation.releases.register(request.body.app_id, request.body.digest, request.body.version ?? null),
        );
    },
  );

  app.get(
    '/apps',
    {
      config: { access: 'read' },
      schema: { summary: 'List app releases', response: { 200: Type.Object({ releases: Type.Array(Release) }) } },
    },
    async () => ({ releases: await services.attestation.releases.list() }),
  );

  app.post(
    '/apps/:app_id/revoke',
    {
      config: { access: 'write', action: 'apps.revoke' },
      schema: {
        summary: "Revoke an app's releases (all, or one version): they fail from the next attestation on",
        params: Type.Object({ app_id: Type.String({ minLength: 1, maxLength: 255 }) }),
        body: Type.Union([
          Type.Object({ version: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) }, { additionalProperties: false }),
          Type.Null(),
        ]),
        response: { 200: Type.Object({ releases: Type.Array(Release) }) },
      },
    },
    async (request) => ({ releases: await services.attestation.releases.revoke(request.params.app_id, request.body?.version) }),
  );
}

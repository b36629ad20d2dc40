import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { DateTime, NullableString } from '../http/schemas.ts';
import type { Services } from '../services.ts';
import { deliverSecret } from './deliver-secret.ts';

const SecretView = Type.Object({ name: Type.String(), version: Type.Integer(), app_id: NullableString, created_at: DateTime });
const Name = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }) });

/** GET /secrets/:name: delivery to attested app instances (deliver-secret.ts). */
export async function secretsRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get<{ Params: { name: string } }>('/secrets/:name', (request, reply) => deliverSecret(request, reply, services));
}

/** Runtime secrets in the admin API: values go in, never come out. */
export function registerSecretsAdminRoutes(fastify: FastifyInstance, services: Services): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/secrets',
    {
      config: { access: 'sensitive', action: 'secrets.add' },
      schema: {
        summary: 'Add a runtime secret, or a new version of one; the value is never returned',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 128 }),
            value: Type.String({ minLength: 1, maxLength: 16_384 }),
            app_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: SecretView },
      },
    },
    async (request, reply) => {
      request.auditTarget = request.body.name;
      return reply.code(201).send(await services.secrets.add(request.body.name, request.body.value, request.body.app_id ?? null));
    },
  );
  app.get(
    '/secrets',
    {
      config: { access: 'read' },
      schema: {
        summary: 'List runtime secrets (names and versions only)',
        response: { 200: Type.Object({ secrets: Type.Array(SecretView) }) },
      },
    },
    async () => ({ secrets: await services.secrets.list() }),
  );
  app.delete(
    '/secrets/:name',
    {
      config: { access: 'sensitive', action: 'secrets.remove' },
      schema: { summary: 'Remove a runtime secret, every version', params: Name, response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      await services.secrets.remove(request.params.name);
      return reply.code(204).send(null);
    },
  );
}

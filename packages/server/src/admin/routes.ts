import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ADMIN_ROLES } from '@portcullis/protocol';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { literals } from '../http/literals.ts';
import { DateTime, NullableDateTime, NullableString } from '../http/schemas.ts';
import type { Services } from '../services.ts';

const AdminKeyView = Type.Object({
  id: Type.String(),
  role: literals(ADMIN_ROLES),
  label: NullableString,
  bootstrap: Type.Boolean(),
  created_at: DateTime,
  last_used_at: NullableDateTime,
  revoked_at: NullableDateTime,
});

const AuditEntry = Type.Object({
  id: Type.String(),
  at: DateTime,
  actor: Type.String({ description: 'the admin key id, or "unauthenticated"' }),
  action: Type.String(),
  target: NullableString,
  outcome: literals(['success', 'failure']),
  status: Type.Integer(),
});

/** Admin keys and the audit log. */
export function registerAdminRoutes(fastify: FastifyInstance, services: Services): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/admin-keys',
    {
      config: { access: 'read' },
      schema: {
        summary: 'List admin API keys (never their values)',
        response: { 200: Type.Object({ admin_keys: Type.Array(AdminKeyView) }) },
      },
    },
    async () => ({ admin_keys: await services.adminKeys.list() }),
  );

  app.post(
    '/admin-keys',
    {
      config: { access: 'sensitive', action: 'admin_keys.create' },
      schema: {
        summary: 'Create an admin API key; its value is in this answer only',
        body: Type.Object(
          { role: literals(ADMIN_ROLES), label: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ ...AdminKeyView.properties, key: Type.String() }) },
      },
    },
    async (request, reply) => {
      const { key, view } = await services.adminKeys.create(request.body.role, request.body.label ?? null);
      request.auditTarget = view.id;
      return reply.code(201).send({ ...view, key });
    },
  );

  app.delete(
    '/admin-keys/:id',
    {
      config: { access: 'sensitive', action: 'admin_keys.revoke' },
      schema: {
        summary: 'Revoke an admin API key',
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await services.adminKeys.revoke(request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/audit',
    {
      config: { access: 'read' },
      schema: {
        summary: 'The audit log, newest first',
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ entries: Type.Array(AuditEntry) }) },
      },
    },
    async (request) => ({ entries: await services.audit.list(request.query.limit ?? 100) }),
  );
}

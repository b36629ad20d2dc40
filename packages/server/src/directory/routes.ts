import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { USER_STATUSES } from '@portcullis/protocol';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { literals } from '../http/literals.ts';
import { DateTime, NullableString } from '../http/schemas.ts';
import type { Services } from '../services.ts';

const UserView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  username: Type.String(),
  email: NullableString,
  given_name: NullableString,
  family_name: NullableString,
  status: literals(USER_STATUSES),
  created_at: DateTime,
  updated_at: DateTime,
});

const Password = Type.String({ minLength: 1, maxLength: 1024 });
const UserRef = Type.Object({ username: Type.String({ minLength: 1, maxLength: 256 }) });

/** Users of the directory, for the admin API. */
export function registerUsersAdminRoutes(fastify: FastifyInstance, services: Services): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/users',
    {
      config: { access: 'write', action: 'users.create' },
      schema: {
        summary: 'Create a user',
        body: Type.Object(
          {
            username: Type.String({ minLength: 1, maxLength: 64 }),
            password: Type.Optional(Password),
            email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
            given_name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            family_name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: UserView },
      },
    },
    async (request, reply) => {
      request.auditTarget = request.body.username;
      return reply.code(201).send(await services.users.create(request.body));
    },
  );

  app.get(
    '/users',
    {
      config: { access: 'read' },
      schema: {
        summary: 'List users, ordered by username',
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
            offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ users: Type.Array(UserView) }) },
      },
    },
    async (request) => ({ users: await services.users.list(request.query.limit ?? 100, request.query.offset ?? 0) }),
  );

  app.get(
    '/users/:username',
    {
      config: { access: 'read' },
      schema: { summary: 'Show a user (by username or id)', params: UserRef, response: { 200: UserView } },
    },
    async (request) => services.users.get(request.params.username),
  );

  app.delete(
    '/users/:username',
    {
      config: { access: 'write', action: 'users.delete' },
      schema: { summary: 'Delete a user', params: UserRef, response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      const user = await services.users.get(request.params.username);
      // The user's tokens are announced as revoked before the grants cascade away with the user.
      await services.oauth.grants.revokeAllFor({ userId: user.id });
      await services.users.delete(user.id);
      return reply.code(204).send(null);
    },
  );

  app.put(
    '/users/:username/password',
    {
      // Setting a password is taking over the account: admins only.
      config: { access: 'sensitive', action: 'users.set_password' },
      schema: {
        summary: "Set a user's password",
        params: UserRef,
        body: Type.Object({ password: Password }, { additionalProperties: false }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await services.users.setPassword(request.params.username, request.body.password);
      return reply.code(204).send(null);
    },
  );
}

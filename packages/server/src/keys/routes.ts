import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { KEY_USES, SIGNING_ALGORITHMS } from '@portcullis/protocol';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { allowAnyOrigin } from '../http/any-origin.ts';
import { literals } from '../http/literals.ts';
import { DateTime, NullableDateTime } from '../http/schemas.ts';
import type { Services } from '../services.ts';

const SigningKeyView = Type.Object({
  kid: Type.String(),
  use: literals(KEY_USES),
  alg: literals(SIGNING_ALGORITHMS),
  state: literals(['next', 'current', 'retired']),
  created_at: DateTime,
  activated_at: NullableDateTime,
  retired_at: NullableDateTime,
  published_until: NullableDateTime,
});

/** The public JWKS: token-signing keys verifiers need (current, next and still-valid retired ones). */
export function registerJwksRoute(app: FastifyInstance, services: Services): void {
  app.get('/.well-known/jwks.json', async (request, reply) => {
    reply.header('cache-control', 'public, max-age=60');
    allowAnyOrigin(request, reply);
    return services.signingKeys.jwks('token');
  });
}

/** Signing keys for the admin API. */
export function registerKeysAdminRoutes(fastify: FastifyInstance, services: Services): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/keys',
    {
      config: { access: 'read' },
      schema: {
        summary: 'List signing keys',
        response: { 200: Type.Object({ keys: Type.Array(SigningKeyView) }) },
      },
    },
    async () => ({ keys: await services.signingKeys.list() }),
  );

  app.post(
    '/keys/rotate',
    {
      config: { access: 'sensitive', action: 'keys.rotate' },
      schema: {
        summary: 'Rotate the signing keys of one use: next becomes current; a new next is published',
        // An empty body rotates the token keys.
        body: Type.Union([
          Type.Object(
            {
              use: Type.Optional(literals(KEY_USES, { default: 'token' })),
              alg: Type.Optional(literals(SIGNING_ALGORITHMS, { description: 'algorithm of the new next key' })),
            },
            { additionalProperties: false },
          ),
          Type.Null(),
        ]),
        response: { 200: Type.Object({ current: SigningKeyView, next: SigningKeyView }) },
      },
    },
    async (request) => {
      const use = request.body?.use ?? 'token';
      request.auditTarget = use;
      const { current, next } = await services.signingKeys.rotate(use, request.body?.alg);
      const keys = await services.signingKeys.list();
      const find = (kid: string) => keys.find((k) => k.kid === kid)!;
      return { current: find(current), next: find(next) };
    },
  );
}

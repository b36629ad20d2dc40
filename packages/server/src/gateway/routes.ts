import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { API_ATTESTATION_MODES, API_BINDINGS, API_IDENTITY_MODES, RATE_LIMIT_KEYS } from '@portcullis/protocol';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { InvalidRequest } from '../http/errors.ts';
import { literals } from '../http/literals.ts';
import { DateTime, NullableString } from '../http/schemas.ts';
import type { Services } from '../services.ts';
import { MAX_BODY_LIMIT } from './check-route-input.ts';

const RateLimit = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    window_s: Type.Integer({ minimum: 1, maximum: 86_400 }),
    per: literals(RATE_LIMIT_KEYS),
  },
  { additionalProperties: false },
);
const Injection = Type.Object(
  { header: Type.String({ minLength: 1, maxLength: 100 }), secret: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);
const Auth = literals(['required', 'off']);

const ApiRouteView = Type.Object({
  id: Type.String(),
  host: NullableString,
  path_prefix: Type.String(),
  upstream: Type.String(),
  strip_prefix: Type.Boolean(),
  methods: Type.Union([Type.Array(Type.String()), Type.Null()]),
  auth: Auth,
  scopes: Type.Array(Type.String()),
  audience: NullableString,
  attestation: literals(API_ATTESTATION_MODES),
  binding: literals(API_BINDINGS),
  identity: literals(API_IDENTITY_MODES),
  cors_origins: Type.Array(Type.String()),
  rate_limit: Type.Union([RateLimit, Type.Null()]),
  body_limit: Type.Integer(),
  timeout_ms: Type.Integer(),
  inject: Type.Array(Injection),
  case_sensitive: Type.Boolean(),
  created_at: DateTime,
});

const ApiRouteInput = Type.Object(
  {
    match: Type.String({
      minLength: 1,
      maxLength: 1200,
      description: 'HOST_OR_PATH: api.example.com, /books, or api.example.com/books',
    }),
    upstream: Type.String({ minLength: 1, maxLength: 2000, description: 'http(s) URL requests go to' }),
    strip_prefix: Type.Optional(Type.Boolean()),
    methods: Type.Optional(Type.Union([Type.Array(Type.String({ maxLength: 10 }), { minItems: 1, maxItems: 7 }), Type.Null()])),
    auth: Type.Optional(Auth),
    scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 50 })),
    audience: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 2000 }), Type.Null()])),
    attestation: Type.Optional(literals(API_ATTESTATION_MODES, { description: 'default required' })),
    binding: Type.Optional(literals(API_BINDINGS, { description: 'default dpop' })),
    identity: Type.Optional(literals(API_IDENTITY_MODES, { description: 'default headers' })),
    cors_origins: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { maxItems: 50 })),
    rate_limit: Type.Optional(Type.Union([RateLimit, Type.Null()])),
    body_limit: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_BODY_LIMIT })),
    timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 300_000 })),
    inject: Type.Optional(Type.Array(Injection, { maxItems: 20 })),
    case_sensitive: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const Id = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** A route may only name secrets that exist (a typo would otherwise fail every request later). */
async function checkSecretsExist(services: Services, inject: { secret: string }[] | undefined): Promise<void> {
  const known = new Set((await services.secrets.list()).map((s) => s.name));
  const unknown = (inject ?? []).map((i) => i.secret).filter((n) => !known.has(n));
  if (unknown.length > 0) throw new InvalidRequest(`no secret named ${unknown[0]}; add it first (portcullis secrets add)`);
}

/**
 * Protected API routes in the admin API (`portcullis api`). Routes decide what reaches an
 * upstream and which secrets it gets, so changing them is admin-only, like secrets and policy.
 * A route names secrets to inject; each must exist when the route is added.
 */
export function registerGatewayAdminRoutes(fastify: FastifyInstance, services: Services): void {
  const routes = services.apiRoutes;
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/apis',
    {
      config: { access: 'sensitive', action: 'api.add' },
      schema: {
        summary: 'Protect an API: requests for the host and/or path prefix are checked, then forwarded to the upstream',
        body: ApiRouteInput,
        response: { 201: ApiRouteView },
      },
    },
    async (request, reply) => {
      request.auditTarget = request.body.match;
      await checkSecretsExist(services, request.body.inject);
      const route = await routes.add(request.body);
      request.auditTarget = route.id;
      await services.pins.touch(); // the pin set lists protected domains
      return reply.code(201).send(route);
    },
  );
  app.get(
    '/apis',
    {
      config: { access: 'read' },
      schema: { summary: 'List protected API routes', response: { 200: Type.Object({ apis: Type.Array(ApiRouteView) }) } },
    },
    async () => ({ apis: routes.list() }),
  );
  app.get(
    '/apis/:id',
    { config: { access: 'read' }, schema: { summary: 'One protected API route', params: Id, response: { 200: ApiRouteView } } },
    async (request) => routes.get(request.params.id),
  );
  app.put(
    '/apis/:id',
    {
      config: { access: 'sensitive', action: 'api.update' },
      schema: {
        summary: 'Replace a protected API route (same id; takes effect at once on every node, with no gap)',
        params: Id,
        body: ApiRouteInput,
        response: { 200: ApiRouteView },
      },
    },
    async (request) => {
      request.auditTarget = request.params.id;
      await checkSecretsExist(services, request.body.inject);
      const route = await routes.update(request.params.id, request.body);
      await services.pins.touch(); // the pin set lists protected domains
      return route;
    },
  );
  app.delete(
    '/apis/:id',
    {
      config: { access: 'sensitive', action: 'api.remove' },
      schema: {
        summary: 'Remove a protected API route (takes effect at once on every node)',
        params: Id,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      request.auditTarget = request.params.id;
      await routes.remove(request.params.id);
      await services.pins.touch();
      return reply.code(204).send(null);
    },
  );
}

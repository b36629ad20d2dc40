import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { CLIENT_TYPES, type ClientView as ClientViewType, GRANT_TYPES, TOKEN_AUTH_METHODS } from '@portcullis/protocol';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Forbidden, NotFound } from '../http/errors.ts';
import { literals } from '../http/literals.ts';
import { DateTime, NullableString } from '../http/schemas.ts';
import type { Services } from '../services.ts';

const Strings = Type.Array(Type.String());
const ClientView = Type.Object({
  client_id: Type.String(),
  name: Type.String(),
  type: literals(CLIENT_TYPES),
  first_party: Type.Boolean(),
  grant_types: Strings,
  response_types: Strings,
  redirect_uris: Strings,
  post_logout_redirect_uris: Strings,
  scopes: Strings,
  token_endpoint_auth_method: literals(TOKEN_AUTH_METHODS),
  tls_client_auth_subject_dn: NullableString,
  resources: Strings,
  attestation_app_ids: Strings,
  web_origins: Strings,
  require_pkce: Type.Boolean(),
  require_dpop: Type.Boolean(),
  require_attestation: Type.Boolean(),
  access_token_lifetime: Type.Integer(),
  refresh_token_lifetime: Type.Integer(),
  refresh_token_idle_lifetime: Type.Integer(),
  created_at: DateTime,
  updated_at: DateTime,
});

/** A client as created or changed: with its secret when this answer is the one that shows it. */
const ClientWithSecret = Type.Object({ ...ClientView.properties, client_secret: Type.Optional(Type.String()) });

const Uris = Type.Array(Type.String({ minLength: 1, maxLength: 2000 }), { maxItems: 50 });
const Jwk = Type.Record(Type.String(), Type.Unknown());
const ClientId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

/** A client's settings as the admin API takes them: all of them on create, some on change. */
const settings = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  type: literals(CLIENT_TYPES),
  grant_types: Type.Array(literals(GRANT_TYPES), { minItems: 1 }),
  redirect_uris: Type.Optional(Uris),
  post_logout_redirect_uris: Type.Optional(Uris),
  scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100 })),
  first_party: Type.Optional(Type.Boolean()),
  require_pkce: Type.Optional(Type.Boolean()),
  require_dpop: Type.Optional(Type.Boolean()),
  require_attestation: Type.Optional(Type.Boolean()),
  token_endpoint_auth_method: Type.Optional(literals(TOKEN_AUTH_METHODS)),
  tls_client_auth_subject_dn: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
  resources: Type.Optional(Uris),
  attestation_app_ids: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { maxItems: 50 })),
  web_origins: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { maxItems: 50 })),
  jwks: Type.Optional(Type.Object({ keys: Type.Array(Jwk, { minItems: 1, maxItems: 20 }) }, { additionalProperties: false })),
  access_token_lifetime: Type.Optional(Type.Integer({ minimum: 30 })),
  refresh_token_lifetime: Type.Optional(Type.Integer({ minimum: 60, maximum: 31_536_000 })),
  refresh_token_idle_lifetime: Type.Optional(Type.Integer({ minimum: 60, maximum: 31_536_000 })),
};
const ClientSettings = Type.Object(settings, { additionalProperties: false });
/** A change: any settings but the type, at least one. */
const { type: _type, ...changeable } = settings;
const ClientChangeBody = Type.Partial(Type.Object(changeable), { additionalProperties: false, minProperties: 1 });

const PRIVILEGED =
  'first-party clients, the password and implicit grants, and turning PKCE, DPoP or attestation requirements off need the admin role';

/**
 * Deny by default: settings that bypass the user's consent or weaken a client's flow are for admin
 * keys. On a change, only what the change turns on or off counts (a write key may rename a
 * first-party client, not make one), so keeping a setting is not granting it.
 */
function privileged(
  settings: {
    first_party?: boolean;
    require_pkce?: boolean;
    require_dpop?: boolean;
    require_attestation?: boolean;
    grant_types?: string[];
  },
  current?: ClientViewType,
): boolean {
  const had = (grant: string) => (current?.grant_types as readonly string[] | undefined)?.includes(grant) ?? false;
  return (
    (settings.first_party === true && current?.first_party !== true) ||
    (settings.require_pkce === false && current?.require_pkce !== false) ||
    (settings.require_dpop === false && current?.require_dpop === true) ||
    (settings.require_attestation === false && current?.require_attestation === true) ||
    (settings.grant_types ?? []).some((g) => (g === 'password' || g === 'implicit') && !had(g))
  );
}

/** OAuth clients in the admin API. */
export function registerClientsAdminRoutes(fastify: FastifyInstance, services: Services): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/clients',
    {
      config: { access: 'write', action: 'clients.create' },
      schema: {
        summary: 'Register an OAuth client; a confidential client secret is in this answer only',
        body: ClientSettings,
        response: { 201: ClientWithSecret },
      },
    },
    async (request, reply) => {
      if (privileged(request.body) && request.adminKey?.role !== 'admin') throw new Forbidden(PRIVILEGED);
      const { client, secret } = await services.oauth.clients.create(
        request.body as Parameters<typeof services.oauth.clients.create>[0],
      );
      request.auditTarget = client.client_id;
      return reply.code(201).send(secret ? { ...client, client_secret: secret } : client);
    },
  );

  app.get(
    '/clients',
    {
      config: { access: 'read' },
      schema: {
        summary: 'List OAuth clients (never their secrets)',
        response: { 200: Type.Object({ clients: Type.Array(ClientView) }) },
      },
    },
    async () => ({ clients: services.oauth.clients.list() }),
  );

  app.get(
    '/clients/:id',
    { config: { access: 'read' }, schema: { summary: 'Show an OAuth client', params: ClientId, response: { 200: ClientView } } },
    async (request) => services.oauth.clients.get(request.params.id),
  );

  app.patch(
    '/clients/:id',
    {
      config: { access: 'write', action: 'clients.update' },
      schema: {
        summary:
          "Change some of a client's settings; the others stay. A client that newly authenticates with a secret gets it in this answer only",
        params: ClientId,
        body: ClientChangeBody,
        response: { 200: ClientWithSecret },
      },
    },
    async (request) => {
      const current = services.oauth.clients.get(request.params.id);
      request.auditTarget = current.client_id;
      if (privileged(request.body, current) && request.adminKey?.role !== 'admin') throw new Forbidden(PRIVILEGED);
      const { client, secret } = await services.oauth.clients.change(
        request.params.id,
        request.body as Parameters<typeof services.oauth.clients.change>[1],
      );
      return secret ? { ...client, client_secret: secret } : client;
    },
  );

  app.post(
    '/clients/:id/rotate-secret',
    {
      config: { access: 'sensitive', action: 'clients.rotate_secret' },
      schema: {
        summary: "Replace a client's secret; the new one is in this answer only",
        params: ClientId,
        body: Type.Union([Type.Object({}, { additionalProperties: false }), Type.Null()]),
        response: { 200: Type.Object({ client_id: Type.String(), client_secret: Type.String() }) },
      },
    },
    async (request) => services.oauth.clients.rotateSecret(request.params.id),
  );

  const UserRef = Type.Object({ username: Type.String({ minLength: 1, maxLength: 256 }) });
  const Consent = Type.Object({
    client_id: Type.String(),
    client_name: Type.String(),
    scope: Type.String(),
    created_at: DateTime,
  });

  app.get(
    '/users/:username/consents',
    {
      config: { access: 'read' },
      schema: {
        summary: 'What the user allowed each third-party client',
        params: UserRef,
        response: { 200: Type.Object({ consents: Type.Array(Consent) }) },
      },
    },
    async (request) => {
      const user = await services.users.get(request.params.username);
      const consents = await services.oauth.consents.list(user.id);
      return {
        consents: consents.map((c) => ({
          client_id: c.client_id,
          client_name: services.oauth.clients.find(c.client_id)?.name ?? c.client_id,
          scope: c.scope,
          created_at: new Date(c.created_at).toISOString(),
        })),
      };
    },
  );

  app.delete(
    '/users/:username/consents/:id',
    {
      config: { access: 'write', action: 'consents.revoke' },
      schema: {
        summary: "Revoke a user's consent for a client, with every grant and token it gave that client",
        params: Type.Object({
          username: Type.String({ minLength: 1, maxLength: 256 }),
          id: Type.String({ minLength: 1, maxLength: 100 }),
        }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const user = await services.users.get(request.params.username);
      request.auditTarget = `${user.username}/${request.params.id}`;
      if (!(await services.oauth.consents.revoke(user.id, request.params.id))) {
        throw new NotFound(`user "${user.username}" has no consent for client "${request.params.id}"`);
      }
      await services.oauth.grants.revokeAllFor({ userId: user.id, clientId: request.params.id });
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/clients/:id',
    {
      config: { access: 'write', action: 'clients.delete' },
      schema: { summary: 'Delete an OAuth client with its grants and tokens', params: ClientId, response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      services.oauth.clients.get(request.params.id);
      // Announce its users' tokens as revoked before the rows cascade away with the client.
      await services.oauth.grants.revokeAllFor({ clientId: request.params.id });
      await services.oauth.clients.delete(request.params.id);
      return reply.code(204).send(null);
    },
  );
}

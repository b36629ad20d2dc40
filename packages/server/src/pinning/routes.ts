import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { literals } from '../http/literals.ts';
import { signJwt } from '../oauth/index.ts';
import type { Services } from '../services.ts';
import { managedTrustRoots } from './pin-set.ts';

export { PIN_SET_TYP, PINS_PATH } from '@portcullis/protocol';

import { PIN_SET_TYP, PINS_PATH } from '@portcullis/protocol';

const PIN_SET_LIFETIME_S = 7 * 86_400;

const PinSetView = Type.Object({
  version: Type.Integer(),
  managed_trust_roots: Type.Boolean(),
  pins: Type.Record(Type.String(), Type.Array(Type.String())),
});

/**
 * The hosts whose requests the SDK attaches attestation tokens to: each protected API route's
 * host, and this server's own host when a route matches by path alone (it is served here).
 */
function protectedDomains(services: Services): string[] {
  const hosts = new Set<string>();
  for (const route of services.apiRoutes.list()) hosts.add(route.host ?? new URL(services.publicUrl()).hostname);
  return [...hosts].sort();
}

/**
 * GET /.well-known/portcullis/pins: the pin set as a JWS signed with the `pins` key (the SDK holds
 * its public key from the config string). Version only grows; clients refuse an older one.
 * The server's own TLS key is always pinned for its host.
 */
export async function pinningRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get(PINS_PATH, async (_request, reply) => {
    const set = await services.pins.show();
    const pins: Record<string, string[]> = { ...set.pins };
    const own = services.serverPin();
    if (own) {
      const host = new URL(services.publicUrl()).hostname;
      pins[host] = [...new Set([own, ...(pins[host] ?? [])])];
    }
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = {
      iss: services.publicUrl(),
      version: set.version,
      iat: now,
      exp: now + PIN_SET_LIFETIME_S,
      pins,
      protected_domains: protectedDomains(services),
    };
    if (set.managed_trust_roots) payload.managed_trust_roots = managedTrustRoots();
    reply.header('cache-control', 'public, max-age=300');
    reply.type('application/jose');
    services.metrics.pinSetsServed.inc();
    return signJwt(services.signingKeys.current('pins'), PIN_SET_TYP, payload);
  });
}

/** Pins and the SDK config string in the admin API. */
export function registerPinningAdminRoutes(fastify: FastifyInstance, services: Services): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/pins', { config: { access: 'read' }, schema: { summary: 'The pin set', response: { 200: PinSetView } } }, async () =>
    services.pins.show(),
  );
  app.post(
    '/pins',
    {
      config: { access: 'write', action: 'pins.add' },
      schema: {
        summary: 'Pin SPKI hashes for a host (added to those it has; the first is primary, the rest backups)',
        body: Type.Object(
          {
            host: Type.String({ minLength: 1, maxLength: 253 }),
            spki: Type.Array(Type.String({ maxLength: 60 }), { minItems: 1, maxItems: 10 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: PinSetView },
      },
    },
    async (request) => {
      request.auditTarget = request.body.host;
      return services.pins.add(request.body.host, request.body.spki);
    },
  );
  app.delete(
    '/pins/:host',
    {
      config: { access: 'write', action: 'pins.remove' },
      schema: {
        summary: "Remove a host's pins",
        params: Type.Object({ host: Type.String({ minLength: 1, maxLength: 253 }) }),
        response: { 200: PinSetView },
      },
    },
    async (request) => services.pins.remove(request.params.host),
  );
  app.put(
    '/pins/managed-trust-roots',
    {
      config: { access: 'write', action: 'pins.managed_trust_roots' },
      schema: {
        summary: 'Hand out the public CA roots clients should trust (on) or not (off)',
        body: Type.Object({ value: literals(['on', 'off']) }, { additionalProperties: false }),
        response: { 200: PinSetView },
      },
    },
    async (request) => services.pins.setManagedTrustRoots(request.body.value === 'on'),
  );
  app.get(
    '/sdk-config',
    {
      config: { access: 'read' },
      schema: {
        summary: 'The SDK config string: base64url JSON with the server URL, client id, pins keys and attestation JWKS URL',
        querystring: Type.Object(
          { client_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ config: Type.String() }) },
      },
    },
    async (request) => {
      const clientId = request.query.client_id;
      if (clientId !== undefined) services.oauth.clients.get(clientId);
      const document = {
        v: 1,
        server: services.publicUrl(),
        ...(clientId ? { client_id: clientId } : {}),
        pins_keys: services.signingKeys.jwks('pins').keys,
        attestation_jwks_uri: `${services.publicUrl()}/.well-known/portcullis/attestation-jwks`,
      };
      return { config: Buffer.from(JSON.stringify(document)).toString('base64url') };
    },
  );
}

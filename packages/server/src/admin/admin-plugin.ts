import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { registerAppsAdminRoutes, registerDevicesAdminRoutes, registerPolicyAdminRoutes } from '../attestation/index.ts';
import { registerUsersAdminRoutes } from '../directory/routes.ts';
import { registerGatewayAdminRoutes } from '../gateway/index.ts';
import { ADMIN_ERROR_RESPONSES } from '../http/schemas.ts';
import { registerKeysAdminRoutes } from '../keys/routes.ts';
import { registerClientsAdminRoutes } from '../oauth/index.ts';
import { registerInitialAccessTokenAdminRoutes } from '../oauth/registration/index.ts';
import { registerPinningAdminRoutes } from '../pinning/index.ts';
import { registerSecretsAdminRoutes } from '../secrets/index.ts';
import type { Services } from '../services.ts';
import { authenticateAdmin } from './access.ts';
import { registerAdminRoutes } from './routes.ts';

const MUTATIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * `/admin/v1`: every route authenticated by an admin key and checked against its role, every
 * mutation (and every refused attempt at one) written to the audit log before the answer leaves,
 * and the OpenAPI 3.1 document generated from the same route schemas.
 */
export async function adminPlugin(app: FastifyInstance, services: Services): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Portcullis admin API',
        version: '1',
        description:
          'Manage users, OAuth clients, admin keys and signing keys. Errors are {"error": code, "error_description": sentence}.',
      },
      servers: [{ url: '/admin/v1' }],
      components: { securitySchemes: { adminKey: { type: 'http', scheme: 'bearer', description: 'An admin API key' } } },
      security: [{ adminKey: [] }],
    },
    transform: ({ schema, url }) => ({
      schema: schema ? { ...schema, response: { ...ADMIN_ERROR_RESPONSES, ...(schema.response as object) } } : schema,
      url: url.replace(/^\/admin\/v1/, ''),
    }),
  });

  app.addHook('onRequest', authenticateAdmin(services.adminKeys));
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (!MUTATIONS.has(request.method)) return payload;
    const params = request.params as Record<string, string> | undefined;
    await services.audit.record({
      actor: request.adminKey?.id ?? 'unauthenticated',
      action: request.routeOptions.config.action ?? `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`,
      target: request.auditTarget ?? (params ? (Object.values(params)[0] ?? null) : null),
      outcome: reply.statusCode < 400 ? 'success' : 'failure',
      status: reply.statusCode,
      request_id: String(request.id),
    });
    return payload;
  });

  app.get('/openapi.json', { config: { access: 'public' }, schema: { summary: 'This document', security: [] } }, async () =>
    app.swagger(),
  );
  registerAdminRoutes(app, services);
  registerUsersAdminRoutes(app, services);
  registerKeysAdminRoutes(app, services);
  registerClientsAdminRoutes(app, services);
  registerAppsAdminRoutes(app, services);
  registerPolicyAdminRoutes(app, services);
  registerDevicesAdminRoutes(app, services);
  registerSecretsAdminRoutes(app, services);
  registerPinningAdminRoutes(app, services);
  registerInitialAccessTokenAdminRoutes(app, services);
  registerGatewayAdminRoutes(app, services);
}

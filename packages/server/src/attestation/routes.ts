import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ATTESTATION_FORMATS, ATTESTATION_JWKS_PATH, type AttestationFailure } from '@portcullis/protocol';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { allowAnyOrigin } from '../http/any-origin.ts';
import { HttpError } from '../http/errors.ts';
import { literals } from '../http/literals.ts';
import { DateTime, NullableDateTime, NullableString } from '../http/schemas.ts';
import { readDpopHeaders, verifyDpopProof } from '../oauth/index.ts';
import type { Services } from '../services.ts';
import { attest } from './attest.ts';
import { POLICY_SETTINGS } from './policy.ts';

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
 *   POST /attest/challenge                       a single-use nonce, valid for 60 s
 *   POST /attest                                 evidence (+ DPoP proof for hardware formats and App Attest
 *                                                assertions) → verdict and token
 *   GET  /.well-known/portcullis/attestation-jwks  the keys that sign attestation tokens
 */
export async function attestationRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/attest/challenge', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    await checkChallengeRate(request, services);
    return reply.code(201).send(services.attestation.challenges.issue());
  });

  app.post(
    '/attest',
    {
      schema: {
        body: Type.Object(
          { format: literals(ATTESTATION_FORMATS), evidence: Type.String({ minLength: 1, maxLength: 65_536 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const { format, evidence } = request.body;
      // Hardware evidence names the app-instance key in its client data; the proof shows the caller
      // holds it. Without a valid proof there is no attestation and the challenge stays unspent.
      const proofJkt = format === 'software' ? undefined : await proveInstanceKey(request, services);
      const outcome = await attest(services, { format, evidence, proofJkt });
      const { attestations } = services.metrics;
      if (outcome.verdict === 'pass') {
        attestations.inc({ verdict: 'pass', reason: 'none' });
        return outcome.response;
      }
      for (const reason of outcome.reasons) attestations.inc({ verdict: 'fail', reason });
      // Operators always see why; clients only when the policy says so.
      request.log.info({ event: 'attestation_failed', format, reasons: outcome.reasons }, 'attestation failed');
      const failure: AttestationFailure = {
        error: 'attestation_failed',
        error_description: 'the app or device did not pass attestation',
      };
      if (services.attestation.policy.get('rejection-reasons') === 'on') failure.reasons = outcome.reasons;
      return reply.code(403).send(failure);
    },
  );

  app.get(ATTESTATION_JWKS_PATH, async (request, reply) => {
    reply.header('cache-control', 'public, max-age=60');
    allowAnyOrigin(request, reply);
    return services.signingKeys.jwks('attestation');
  });
}

/**
 * Policy `challenge-rate-limit`: challenges per client address per minute. Every attestation
 * starts with one, so this bounds how many attestations (each a signature check, and a write for
 * the challenge it spends) an unauthenticated caller can start.
 */
async function checkChallengeRate(request: FastifyRequest, services: Services): Promise<void> {
  const limit = services.attestation.policy.get('challenge-rate-limit');
  if (limit === 'off') return;
  const verdict = await services.rateLimiter.hit(`attest-challenge:${request.ip}`, Number(limit), 60_000);
  if (verdict.allowed) return;
  const error = new HttpError(429, 'rate_limited', 'too many attestation challenges from this address; try again later');
  error.headers['retry-after'] = String(verdict.retryAfterS);
  throw error;
}

/** RFC 9449 §4.3, as at a protected resource: a proof for POST <issuer>/attest, a server nonce only if it has one. */
async function proveInstanceKey(request: FastifyRequest, services: Services): Promise<string> {
  const proof = await verifyDpopProof({
    headers: readDpopHeaders(request.raw),
    method: request.method,
    url: `${services.publicUrl()}/attest`,
    nonce: 'if-present',
    db: services.database.db,
    digests: services.digests,
  });
  return proof.jkt;
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

/** The attestation policy in the admin API: read by every role, changed by admins only. */
export function registerPolicyAdminRoutes(fastify: FastifyInstance, services: Services): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/policy',
    {
      config: { access: 'read' },
      schema: { summary: 'The attestation policy', response: { 200: Type.Record(Type.String(), Type.String()) } },
    },
    async () => services.attestation.policy.all(),
  );
  app.put(
    '/policy/:key',
    {
      config: { access: 'sensitive', action: 'policy.set' },
      schema: {
        summary: `Change one policy setting (${Object.keys(POLICY_SETTINGS).join(', ')})`,
        params: Type.Object({ key: Type.String({ minLength: 1, maxLength: 100 }) }),
        body: Type.Object({ value: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }),
        response: { 200: Type.Record(Type.String(), Type.String()) },
      },
    },
    async (request) => {
      await services.attestation.policy.set(request.params.key, request.body.value);
      return services.attestation.policy.all();
    },
  );
}

const Device = Type.Object({
  device_id: Type.String(),
  status: literals(['active', 'denied']),
  policy: literals(['default', 'always-pass']),
  policy_expires_at: NullableDateTime,
  app_id: Type.String(),
  platform: Type.String(),
  key_thumbprint: Type.String(),
  first_seen: DateTime,
  last_seen: DateTime,
  last_verdict: Type.String(),
});
const DeviceId = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

/** Devices in the admin API: allowing a device past its signals, or denying it, is for admins. */
export function registerDevicesAdminRoutes(fastify: FastifyInstance, services: Services): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const devices = () => services.attestation.devices;
  app.get(
    '/devices',
    {
      config: { access: 'read' },
      schema: { summary: 'Devices that attested, newest first', response: { 200: Type.Object({ devices: Type.Array(Device) }) } },
    },
    async () => ({ devices: await devices().list() }),
  );
  app.post(
    '/devices/:id/allow',
    {
      config: { access: 'sensitive', action: 'devices.allow' },
      schema: {
        summary: 'Let a developer or CI device pass whatever its signals, for a limited time, with the key it attested with',
        params: DeviceId,
        body: Type.Union([
          Type.Object(
            {
              policy: Type.Optional(literals(['always-pass'])),
              expires_in: Type.Optional(Type.Integer({ minimum: 60, maximum: 7_776_000 })),
              key_thumbprint: Type.Optional(
                Type.String({ maxLength: 64, description: 'the key to allow, as devices list shows it' }),
              ),
            },
            { additionalProperties: false },
          ),
          Type.Null(),
        ]),
        response: { 200: Device },
      },
    },
    async (request) => devices().allow(request.params.id, request.body?.expires_in ?? 604_800, request.body?.key_thumbprint),
  );
  app.post(
    '/devices/:id/deny',
    {
      config: { access: 'sensitive', action: 'devices.deny' },
      schema: {
        summary: 'Block a device id and one key (named, or else the last one seen) whatever they report',
        params: DeviceId,
        body: Type.Union([
          Type.Object({ key_thumbprint: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false }),
          Type.Null(),
        ]),
        response: { 200: Device },
      },
    },
    async (request) => devices().deny(request.params.id, request.body?.key_thumbprint),
  );
  app.delete(
    '/devices/:id',
    {
      config: { access: 'write', action: 'devices.remove' },
      schema: { summary: 'Forget a device', params: DeviceId, response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      await devices().remove(request.params.id);
      return reply.code(204).send(null);
    },
  );
}

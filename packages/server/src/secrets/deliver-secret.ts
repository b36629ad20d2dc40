import type { FastifyReply, FastifyRequest } from 'fastify';
import { CompactEncrypt, importJWK } from 'jose';
import { verifyAttestationToken } from '../attestation/index.ts';
import { HttpError, InvalidRequest, NotFound } from '../http/errors.ts';
import { readDpopHeaders, verifyDpopProof } from '../oauth/index.ts';
import type { Services } from '../services.ts';

const PER_DEVICE_PER_MINUTE = 30;
const windows = new Map<string, { minute: number; count: number }>();

function unauthorized(description: string): HttpError {
  const error = new HttpError(401, 'invalid_token', description);
  error.headers['www-authenticate'] = 'DPoP realm="portcullis", error="invalid_token"';
  return error;
}

/** At most 30 deliveries per device per minute: enough for an app starting up, too few to farm. */
function checkRate(deviceKey: string): void {
  const minute = Math.floor(Date.now() / 60_000);
  const slot = windows.get(deviceKey);
  if (!slot || slot.minute !== minute) {
    if (windows.size > 100_000) windows.clear();
    windows.set(deviceKey, { minute, count: 1 });
    return;
  }
  if (++slot.count > PER_DEVICE_PER_MINUTE) {
    const error = new HttpError(429, 'rate_limited', 'too many secret requests from this device; try again in a minute');
    error.headers['retry-after'] = String(60 - (Math.floor(Date.now() / 1000) % 60));
    throw error;
  }
}

/**
 * GET /secrets/NAME: the secret's value, only for an attested app instance, encrypted to that
 * instance's key (JWE, ECDH-ES+A256KW / A256GCM) so that nothing between the server and the key's
 * holder can read it. Needs the attestation token (Portcullis-Attestation) and a DPoP proof with
 * the attested key whose `ath` covers that token. A secret scoped to another app is a 404.
 */
export async function deliverSecret(
  request: FastifyRequest<{ Params: { name: string } }>,
  reply: FastifyReply,
  services: Services,
) {
  reply.header('cache-control', 'no-store');
  const header = request.headers['portcullis-attestation'];
  const attested = typeof header === 'string' ? await verifyAttestationToken(services, header) : null;
  if (!attested || typeof header !== 'string')
    throw unauthorized('a valid attestation token is required in the Portcullis-Attestation header');
  const audit = (outcome: 'success' | 'failure', status: number) =>
    services.audit.record({
      actor: `device:${attested.sub}`,
      action: 'secrets.deliver',
      target: request.params.name,
      outcome,
      status,
      request_id: String(request.id),
    });
  try {
    const proof = await verifyDpopProof({
      headers: readDpopHeaders(request.raw),
      method: request.method,
      url: `${services.publicUrl()}/secrets/${encodeURIComponent(request.params.name)}`,
      accessToken: header,
      nonce: 'if-present',
      db: services.database.db,
      digests: services.digests,
    });
    if (proof.jkt !== attested.cnf.jkt) throw unauthorized('the DPoP proof is not made with the attested app-instance key');
    // Keyed on the proven key, not the self-reported device id, which anyone can claim.
    checkRate(attested.cnf.jkt);
    const secret = await services.secrets.valueFor(request.params.name, attested.app.id);
    if (!secret) throw new NotFound(`no secret named ${request.params.name} for this app`);
    if (proof.jwk.kty !== 'EC' || proof.jwk.crv !== 'P-256')
      throw new InvalidRequest('secret delivery needs a P-256 app-instance key (ES256)');
    const jwe = await new CompactEncrypt(new TextEncoder().encode(secret.value))
      .setProtectedHeader({
        alg: 'ECDH-ES+A256KW',
        enc: 'A256GCM',
        cty: 'text/plain',
        kid: `${request.params.name}#${secret.version}`,
      })
      .encrypt(await importJWK({ kty: 'EC', crv: 'P-256', x: proof.jwk.x, y: proof.jwk.y }, 'ECDH-ES+A256KW'));
    services.metrics.secretsDelivered.inc();
    await audit('success', 200);
    return { name: request.params.name, version: secret.version, value_jwe: jwe };
  } catch (err) {
    // Refusals are audited once the caller is a known attested device (an anonymous caller could
    // otherwise fill the audit log); the rate limit's own refusals are not, for the same reason.
    const status = err instanceof HttpError ? err.status : 500;
    if (status !== 429) await audit('failure', status).catch(() => {});
    throw err;
  }
}

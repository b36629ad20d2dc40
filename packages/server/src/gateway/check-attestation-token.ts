import { ATTESTATION_HEADER } from '@portcullis/protocol';
import { type AttestedApp, verifyAttestationToken } from '../attestation/index.ts';
import type { Services } from '../services.ts';
import { GatewayError } from './gateway-error.ts';
import type { GatewayRequest } from './gateway-request.ts';
import { VerifiedTokens } from './verified-tokens.ts';

/**
 * The attestation token in `Portcullis-Attestation` (issue #4): signed by our attestation key,
 * unexpired. `required` routes refuse a request without one (attestation_required) and every
 * route that reads it refuses an invalid one (attestation_invalid); `off` routes ignore it. Its
 * binding to the app-instance key is checked with the request's DPoP proof (check-binding.ts).
 */
export async function checkAttestationToken(
  g: GatewayRequest,
  services: Services,
  cache: VerifiedTokens<AttestedApp>,
): Promise<void> {
  if (g.route.attestation === 'off') return;
  const header = g.req.headers[ATTESTATION_HEADER.toLowerCase()];
  if (header === undefined || header === '') {
    if (g.route.attestation === 'optional') return;
    throw new GatewayError(
      401,
      'attestation_required',
      `this API needs an attestation token in the ${ATTESTATION_HEADER} header`,
    );
  }
  if (typeof header !== 'string') throw new GatewayError(401, 'attestation_invalid', `send one ${ATTESTATION_HEADER} header`);
  const now = Date.now();
  const key = VerifiedTokens.keyOf(header);
  let app = cache.get(key, now);
  if (!app) {
    app = (await verifyAttestationToken(services, header)) ?? undefined;
    if (!app) throw new GatewayError(401, 'attestation_invalid', 'the attestation token is invalid or expired; attest again');
    cache.set(key, app, Number(app.exp) * 1000);
  }
  g.app = app;
}

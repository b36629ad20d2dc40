import { ATTESTATION_HEADER } from '@portcullis/protocol';
import { type AttestedApp, verifyAttestationToken } from '../attestation/index.ts';
import type { Services } from '../services.ts';
import { GatewayError } from './gateway-error.ts';
import type { GatewayRequest } from './gateway-request.ts';
import type { VerifiedTokens } from './verified-tokens.ts';

const ATTESTATION_HEADER_LOWER = ATTESTATION_HEADER.toLowerCase();

/**
 * The attestation token in `Portcullis-Attestation` (issue #4): signed by our attestation key,
 * unexpired. `required` routes refuse a request without one (attestation_required) and every
 * route that reads it refuses an invalid one (attestation_invalid); `off` routes ignore it. Its
 * binding to the app-instance key is checked with the request's DPoP proof (check-binding.ts).
 */
export function checkAttestationToken(
  g: GatewayRequest,
  services: Services,
  cache: VerifiedTokens<AttestedApp>,
): void | Promise<void> {
  if (g.route.attestation === 'off') return;
  const header = g.req.headers[ATTESTATION_HEADER_LOWER];
  if (header === undefined || header === '') {
    if (g.route.attestation === 'optional') return;
    throw new GatewayError(
      401,
      'attestation_required',
      `this API needs an attestation token in the ${ATTESTATION_HEADER} header`,
    );
  }
  if (typeof header !== 'string') throw new GatewayError(401, 'attestation_invalid', `send one ${ATTESTATION_HEADER} header`);
  const key = cache.keyFor(g.req.socket, header, (token) => token);
  const app = cache.get(key, Date.now());
  if (app) {
    g.app = app;
    return;
  }
  return verifyAttestationToken(services, header).then((verified) => {
    if (!verified)
      throw new GatewayError(401, 'attestation_invalid', 'the attestation token is invalid or expired; attest again');
    cache.set(key, verified, Number(verified.exp) * 1000);
    g.app = verified;
  });
}

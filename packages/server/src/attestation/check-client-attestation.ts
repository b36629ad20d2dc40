import { ATTESTATION_HEADER, ATTESTATION_TOKEN_TYP } from '@portcullis/protocol';
import { type JWTPayload, jwtVerify } from 'jose';
import { OAuthError } from '../http/errors.ts';
import type { Services } from '../services.ts';

/** The claims of a verified attestation token. */
export interface AttestedApp extends JWTPayload {
  sub: string;
  app: { id: string; release: string };
  cnf: { jkt: string };
}

/** An attestation token of ours: signature by a published attestation key, typ, issuer, not expired. */
export async function verifyAttestationToken(services: Services, token: string): Promise<AttestedApp | null> {
  try {
    const { payload } = await jwtVerify(token, services.signingKeys.verifier('attestation'), {
      issuer: services.publicUrl(),
      typ: ATTESTATION_TOKEN_TYP,
      algorithms: ['ES256', 'EdDSA', 'RS256'],
      requiredClaims: ['sub', 'exp', 'app', 'cnf'],
    });
    const cnf = payload.cnf as { jkt?: unknown } | undefined;
    return typeof cnf?.jkt === 'string' ? (payload as AttestedApp) : null;
  } catch {
    return null;
  }
}

/**
 * A client registered with require_attestation gets tokens only for a request carrying a valid
 * attestation token in the Portcullis-Attestation header AND a DPoP proof made with the very key
 * that token is bound to: a token lifted to another device is useless (issue #4, seed 003).
 */
export async function checkClientAttestation(
  services: Services,
  header: string | string[] | undefined,
  dpopJkt: string | undefined,
  acceptedApps: readonly string[],
): Promise<AttestedApp> {
  const refuse = (why: string) => new OAuthError('invalid_client', `this client requires app attestation: ${why}`, 401);
  if (typeof header !== 'string' || header === '') throw refuse(`send a ${ATTESTATION_HEADER} header with an attestation token`);
  const attested = await verifyAttestationToken(services, header);
  if (!attested) throw refuse('the attestation token is invalid or expired; attest again');
  if (dpopJkt === undefined) throw refuse('send a DPoP proof made with the attested app-instance key');
  if (attested.cnf.jkt !== dpopJkt) throw refuse('the DPoP proof is not made with the attested app-instance key');
  if (!acceptedApps.includes(attested.app.id))
    throw refuse(`the attestation is for ${attested.app.id}, which this client does not accept`);
  return attested;
}

import { randomUUID } from 'node:crypto';
import { ATTESTATION_TOKEN_TYP } from '@portcullis/protocol';
import type { SigningKeys } from '../keys/index.ts';
import { signJwt } from '../oauth/index.ts';

export const ATTESTATION_TOKEN_LIFETIME_S = 300;

export interface AttestationTokenRequest {
  issuer: string;
  deviceId: string;
  appId: string;
  release: string;
  /** RFC 7638 thumbprint of the app-instance key: the token is only usable with proofs from it. */
  jkt: string;
}

/**
 * A short-lived JWT signed with the `attestation` key (its own JWKS): iss, sub (device id),
 * app {id, release}, iat, exp, jti, cnf.jkt. Sent as the Portcullis-Attestation header with a
 * DPoP proof made with the same key, so a token copied to another device is useless.
 */
export async function issueAttestationToken(keys: SigningKeys, r: AttestationTokenRequest): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return signJwt(keys.current('attestation'), ATTESTATION_TOKEN_TYP, {
    iss: r.issuer,
    sub: r.deviceId,
    app: { id: r.appId, release: r.release },
    iat: now,
    exp: now + ATTESTATION_TOKEN_LIFETIME_S,
    jti: randomUUID(),
    cnf: { jkt: r.jkt },
  });
}

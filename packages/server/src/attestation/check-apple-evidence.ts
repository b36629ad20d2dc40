import type { AttestationReason } from '@portcullis/protocol';
import { type AppleReason, verifyAppleAttestation } from './apple/index.ts';
import type { AppleKeys } from './apple-keys.ts';
import type { Findings } from './attestation-findings.ts';
import type { AppleEvidence } from './read-hardware-evidence.ts';

const REASONS: Record<AppleReason, AttestationReason> = {
  malformed: 'malformed',
  bad_certificate_chain: 'bad_certificate_chain',
  nonce_mismatch: 'nonce_mismatch',
  app_id_mismatch: 'app_id_mismatch',
  counter_not_zero: 'counter_not_zero',
  // An AAGUID that is neither production nor development names no environment anyone allowed.
  aaguid_mismatch: 'environment_not_allowed',
  key_id_mismatch: 'key_id_mismatch',
  bad_signature: 'bad_signature',
  // Assertions only; an attestation never reports it.
  counter_not_increasing: 'counter_not_zero',
};

export interface AppleChecks {
  /** Whether keys of the development environment pass (policy `apple-development`). */
  allowDevelopment: boolean;
  /** The thumbprint of the key that signed the request's DPoP proof. */
  proofJkt: string;
  roots?: string[] | undefined;
  /** Where a passing attestation stores its key, for the assertions that follow (§2.6). */
  keys: AppleKeys;
}

/**
 * `apple-app-attest`: Apple's nine steps over SHA-256(client_data), for the App ID the client data
 * names (ATTESTATION.md §2.3). The attested key lives in the Secure Enclave and signs only App
 * Attest assertions, so the app-instance key is the one client_data names, proven by the DPoP
 * proof; the device is known by the attested key id. A pass stores the key, its environment and
 * that app-instance key, so the app can renew its token with assertions (`apple-app-assert`).
 */
export async function checkAppleEvidence(evidence: AppleEvidence, checks: AppleChecks): Promise<Findings> {
  const { claims, hash } = evidence.clientData;
  const result = await verifyAppleAttestation({
    attestation: evidence.attestation,
    keyId: evidence.keyId,
    clientDataHash: hash,
    appId: claims.app_id,
    environment: 'either',
    ...(checks.roots ? { roots: checks.roots } : {}),
  });
  const reasons = new Set<AttestationReason>(result.ok ? [] : result.reasons.map((reason) => REASONS[reason]));
  if (result.ok && result.environment === 'development' && !checks.allowDevelopment) reasons.add('environment_not_allowed');
  if (checks.proofJkt !== claims.jkt) reasons.add('key_binding_mismatch');
  const environment = result.ok ? result.environment : 'unverified';
  const deviceId = evidence.keyId.toString('base64url');
  // What a pass stores for the assertions to come (§2.6), bound to the proven instance key. Apple
  // attests a key once, so a key id stored already belongs to a key attested, and used, before.
  const key = result.ok
    ? {
        keyId: deviceId,
        appId: claims.app_id,
        publicKeyJwk: result.publicKeyJwk,
        environment: result.environment,
        jkt: checks.proofJkt,
      }
    : null;
  return {
    deviceId,
    jkt: checks.proofJkt,
    appId: claims.app_id,
    platform: 'ios',
    reasons: [...reasons],
    integrity: [],
    // App Attest proves the team and bundle id, not a build: any live release of the app will do.
    releases: result.ok ? 'any' : null,
    releaseLabel: () => `apple-app-attest:${environment}`,
    ...(key
      ? { record: async (): Promise<AttestationReason[]> => ((await checks.keys.add(key)) ? [] : ['counter_not_zero']) }
      : {}),
  };
}

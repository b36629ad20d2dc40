import type { AttestationReason } from '@portcullis/protocol';
import { type AppleReason, verifyAppleAssertion } from './apple/index.ts';
import type { AppleKeys } from './apple-keys.ts';
import type { Findings } from './attestation-findings.ts';
import type { AppleAssertionEvidence } from './read-hardware-evidence.ts';

const REASONS: Record<AppleReason, AttestationReason> = {
  malformed: 'malformed',
  bad_signature: 'bad_signature',
  app_id_mismatch: 'app_id_mismatch',
  counter_not_increasing: 'counter_not_increasing',
  // Attestations only; an assertion never reports them.
  bad_certificate_chain: 'bad_certificate_chain',
  nonce_mismatch: 'nonce_mismatch',
  counter_not_zero: 'counter_not_zero',
  aaguid_mismatch: 'environment_not_allowed',
  key_id_mismatch: 'key_id_mismatch',
};

export interface AppleAssertionChecks {
  /** Whether keys attested in the development environment pass (policy `apple-development`). */
  allowDevelopment: boolean;
  /** The thumbprint of the key that signed the request's DPoP proof. */
  proofJkt: string;
  keys: AppleKeys;
}

/**
 * `apple-app-assert` (ATTESTATION.md §2.6), Apple's "Verify the assertion" with the key a passing
 * `apple-app-attest` stored: a signature over SHA-256(authenticatorData ‖ SHA-256(client_data)),
 * the rpIdHash of the App ID the key was attested for, a counter above the stored one. The
 * app-instance key was fixed at attestation: the client data and the DPoP proof must name it.
 */
export async function checkAppleAssertion(
  evidence: AppleAssertionEvidence,
  checks: AppleAssertionChecks,
): Promise<Findings | { fail: AttestationReason[] }> {
  const { claims, hash } = evidence.clientData;
  const keyId = evidence.keyId.toString('base64url');
  const key = await checks.keys.find(keyId);
  // Nothing here was ever attested, so there is no device to record either.
  if (!key) return { fail: ['key_unknown'] };
  const result = await verifyAppleAssertion({
    assertion: evidence.assertion,
    clientDataHash: hash,
    publicKeyJwk: key.publicKeyJwk,
    appId: key.appId,
    previousSignCount: key.signCount,
  });
  // Step 5: the new counter is stored for every assertion that verifies (signature, rpIdHash,
  // counter), even one refused below for another reason, by a conditional UPDATE: of two
  // assertions with the same counter only one moves it.
  const advanced = result.ok && (await checks.keys.advance(keyId, result.signCount));
  const reasons = new Set<AttestationReason>(result.ok ? [] : result.reasons.map((reason) => REASONS[reason]));
  if (result.ok && !advanced) reasons.add('counter_not_increasing');
  if (claims.app_id !== key.appId) reasons.add('app_id_mismatch');
  if (key.environment === 'development' && !checks.allowDevelopment) reasons.add('environment_not_allowed');
  if (checks.proofJkt !== claims.jkt || claims.jkt !== key.jkt) reasons.add('key_binding_mismatch');
  return {
    deviceId: keyId,
    jkt: checks.proofJkt,
    appId: key.appId,
    platform: 'ios',
    reasons: [...reasons],
    integrity: [],
    // As for the attestation: the key proves the App ID, and any live release of it will do.
    releases: advanced && claims.app_id === key.appId ? 'any' : null,
    releaseLabel: () => `apple-app-attest:${key.environment}`,
  };
}

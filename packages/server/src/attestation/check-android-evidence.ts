import type { AttestationReason } from '@portcullis/protocol';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { type AndroidKeyFacts, type AndroidReason, verifyAndroidKeyAttestation } from './android/index.ts';
import type { Findings } from './attestation-findings.ts';
import type { AndroidEvidence } from './read-hardware-evidence.ts';
import type { RevokedSerials } from './revocation-list.ts';

const REASONS: Record<AndroidReason, AttestationReason> = {
  malformed: 'malformed',
  bad_certificate_chain: 'bad_certificate_chain',
  untrusted_root: 'untrusted_root',
  revoked_certificate: 'revoked_certificate',
  nonce_mismatch: 'nonce_mismatch',
  software_only: 'software_only',
};

export interface AndroidChecks {
  /** Policy `android-verified-boot required`. */
  verifiedBoot: boolean;
  /** Policy `android-strongbox required`. */
  strongBox: boolean;
  /** Policy `android-min-patch-level`: YYYYMM, or null when off. */
  minPatchLevel: number | null;
  /** The thumbprint of the key that signed the request's DPoP proof. */
  proofJkt: string;
  roots?: string[] | undefined;
  /** The revocation status list as loaded now (`unavailable` fails the evidence closed). */
  revoked: RevokedSerials;
}

/** The device-state policy: what an admin's always-pass may waive for a developer's or CI phone. */
function checkDeviceState(facts: AndroidKeyFacts, checks: AndroidChecks): AttestationReason[] {
  const reasons: AttestationReason[] = [];
  if (checks.verifiedBoot && facts.verifiedBootState !== 'Verified') reasons.push('boot_not_verified');
  if (checks.strongBox && facts.attestationSecurityLevel !== 'StrongBox') reasons.push('security_level_too_low');
  // A device that reports no patch level cannot show it is recent enough.
  if (checks.minPatchLevel !== null && (facts.osPatchLevel ?? 0) < checks.minPatchLevel) reasons.push('patch_level_too_old');
  return reasons;
}

/**
 * `android-key`: the chain ends in a trusted root and its leaf attests SHA-256(client_data) as the
 * challenge (ATTESTATION.md §2.4). The leaf's hardware key is the app-instance key: client_data
 * names it and the DPoP proof is made with it. The app is one of the attested packages, and its
 * build is the release registered with one of the attested signing-certificate digests.
 */
export async function checkAndroidEvidence(evidence: AndroidEvidence, checks: AndroidChecks): Promise<Findings> {
  const { claims, hash } = evidence.clientData;
  const result = await verifyAndroidKeyAttestation({
    chain: evidence.chain,
    challenge: hash,
    ...(checks.roots ? { roots: checks.roots } : {}),
    ...(checks.revoked.state === 'loaded' ? { revokedSerials: checks.revoked.serials } : {}),
  });
  const reasons: AttestationReason[] = result.ok ? [] : result.reasons.map((reason) => REASONS[reason]);
  // Without the list, a revoked attestation key cannot be told from a good one.
  if (checks.revoked.state === 'unavailable') reasons.push('revocation_list_unavailable');
  const leafJkt = result.ok ? await calculateJwkThumbprint(result.facts.publicKeyJwk as JWK) : claims.jkt;
  if (checks.proofJkt !== claims.jkt || leafJkt !== claims.jkt) reasons.push('key_binding_mismatch');
  const appAttested = result.ok && result.facts.packageNames.includes(claims.app_id);
  if (result.ok && !appAttested) reasons.push('app_id_mismatch');
  return {
    deviceId: claims.device_id ?? claims.jkt,
    jkt: checks.proofJkt,
    appId: claims.app_id,
    platform: 'android',
    reasons,
    integrity: result.ok ? checkDeviceState(result.facts, checks) : [],
    releases: result.ok && appAttested ? result.facts.signatureDigests : null,
    releaseLabel: (release) => release.digest,
  };
}

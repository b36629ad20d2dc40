import type { AttestationFormat, AttestationReason, AttestationResponse } from '@portcullis/protocol';
import type { Services } from '../services.ts';
import type { Findings } from './attestation-findings.ts';
import { ATTESTATION_TOKEN_LIFETIME_S, issueAttestationToken } from './attestation-tokens.ts';
import {
  type AndroidEvidence,
  type AppleAssertionEvidence,
  type AppleEvidence,
  readAndroidEvidence,
  readAppleAssertionEvidence,
  readAppleEvidence,
} from './read-hardware-evidence.ts';
import { verifySoftwareEvidence } from './verify-software-evidence.ts';

export type AttestOutcome =
  | { verdict: 'pass'; response: AttestationResponse }
  | { verdict: 'fail'; reasons: AttestationReason[] };

export interface AttestRequest {
  format: AttestationFormat;
  evidence: string;
  /** Hardware formats: the thumbprint of the key that signed the request's DPoP proof (checked by the route). */
  proofJkt?: string | undefined;
}

type Examined = Findings | { fail: AttestationReason[] };

const NONCE_REASONS = { unknown: 'nonce_unknown', reused: 'nonce_reused' } as const satisfies Record<string, AttestationReason>;

const SIGNAL_REASONS: Record<string, AttestationReason> = {
  rooted: 'rooted',
  emulator: 'emulator',
  debugger: 'debugger',
  hooking: 'hooking',
  signature_mismatch: 'signature_mismatch',
};

/**
 * One attestation: verify the evidence, spend its challenge (once, atomically), match a live
 * release, weigh the device's integrity, and on a pass issue a key-bound attestation token.
 * Every reason found is collected, so an operator sees the whole picture at once.
 */
export async function attest(services: Services, request: AttestRequest): Promise<AttestOutcome> {
  const examined = await examine(services, request);
  if ('fail' in examined) return { verdict: 'fail', reasons: examined.fail };
  return judge(services, examined);
}

async function examine(services: Services, request: AttestRequest): Promise<Examined> {
  if (request.format === 'software') return examineSoftware(services, request.evidence);
  // The route has checked the DPoP proof of every format but software; without one nothing is bound.
  if (request.proofJkt === undefined) return { fail: ['key_binding_mismatch'] };
  const proofJkt = request.proofJkt;
  const read = readHardwareEvidence(request.format, request.evidence);
  if (!read) return { fail: ['malformed'] };
  // The challenge is spent whatever the outcome: evidence is never evaluated twice.
  const use = await services.attestation.challenges.consume(read.clientData.claims.nonce);
  if (use !== 'fresh') return { fail: [NONCE_REASONS[use]] };
  const { appleKeys: keys, policy, roots } = services.attestation;
  const allowDevelopment = policy.get('apple-development') === 'on';
  // The hardware verifiers (X.509, ASN.1, CBOR) load on first use, so a server that never sees
  // hardware evidence does not carry them in memory.
  if ('assertion' in read) {
    const { checkAppleAssertion } = await import('./check-apple-assertion.ts');
    return checkAppleAssertion(read, { proofJkt, allowDevelopment, keys });
  }
  if ('attestation' in read) {
    const { checkAppleEvidence } = await import('./check-apple-evidence.ts');
    return checkAppleEvidence(read, { proofJkt, roots: roots.apple, allowDevelopment, keys });
  }
  const minPatchLevel = policy.get('android-min-patch-level');
  const { checkAndroidEvidence } = await import('./check-android-evidence.ts');
  return checkAndroidEvidence(read, {
    proofJkt,
    roots: roots.android,
    verifiedBoot: policy.get('android-verified-boot') === 'required',
    strongBox: policy.get('android-strongbox') === 'required',
    minPatchLevel: minPatchLevel === 'off' ? null : Number(minPatchLevel),
    revoked: await services.attestation.revocationList.revokedSerials(),
  });
}

function readHardwareEvidence(
  format: Exclude<AttestationFormat, 'software'>,
  evidence: string,
): AppleEvidence | AppleAssertionEvidence | AndroidEvidence | undefined {
  if (format === 'apple-app-attest') return readAppleEvidence(evidence);
  if (format === 'apple-app-assert') return readAppleAssertionEvidence(evidence);
  return readAndroidEvidence(evidence);
}

/** `software`: the JWS proves the app-instance key; the rest is the app's own report (ATTESTATION.md §2.1). */
async function examineSoftware(services: Services, evidence: string): Promise<Examined> {
  const { attestation } = services;
  if (attestation.policy.get('software-evidence') !== 'on') return { fail: ['format_disabled'] };
  const verified = await verifySoftwareEvidence(evidence);
  if (!verified.ok) return { fail: verified.reasons };
  const claims = verified.evidence;
  const use = await attestation.challenges.consume(claims.nonce);
  if (use !== 'fresh') return { fail: [NONCE_REASONS[use]] };
  const digest = /^sha256:([0-9a-fA-F]{64})$/.exec(claims.release)?.[1];
  return {
    deviceId: claims.device_id,
    jkt: verified.jkt,
    appId: claims.app_id,
    platform: claims.platform,
    reasons: [],
    integrity: Object.entries(SIGNAL_REASONS)
      .filter(([signal]) => claims.signals[signal as keyof typeof claims.signals] === true)
      .map(([, reason]) => reason),
    releases: digest ? [digest] : [],
    releaseLabel: () => claims.release,
  };
}

async function judge(services: Services, found: Findings): Promise<AttestOutcome> {
  const { attestation } = services;
  const reasons: AttestationReason[] = [];
  const standing = attestation.devices.standing(found.deviceId, found.jkt);
  if (standing === 'denied') reasons.push('device_denied');
  reasons.push(...found.reasons);
  // The release is always checked: an always-pass device still proves a registered, live build.
  let release = null;
  if (found.releases !== null) {
    const match = await attestation.releases.match(found.appId, found.releases);
    release = match.live;
    if (!release) reasons.push(match.known ? 'release_revoked' : 'app_unregistered');
  }
  // An admin's time-limited always-pass (a developer's or CI device, with the key it was allowed
  // with) waives only the device's integrity; a denied device fails whatever it says.
  if (standing === 'default') reasons.push(...found.integrity);
  // Last, so that only a pass writes anything (an App Attest key is stored once, when it passes).
  if (reasons.length === 0 && release && found.record) reasons.push(...(await found.record()));
  attestation.devices.seen({
    deviceId: found.deviceId,
    jkt: found.jkt,
    appId: found.appId,
    platform: found.platform,
    verdict: reasons.length > 0 ? `fail: ${reasons.join(' ')}` : 'pass',
  });
  // No release is matched only when verification failed, which always leaves a reason.
  if (reasons.length > 0 || !release) return { verdict: 'fail', reasons };
  const token = await issueAttestationToken(services.signingKeys, {
    issuer: services.publicUrl(),
    deviceId: found.deviceId,
    appId: found.appId,
    release: found.releaseLabel(release),
    jkt: found.jkt,
  });
  return { verdict: 'pass', response: { verdict: 'pass', attestation_token: token, expires_in: ATTESTATION_TOKEN_LIFETIME_S } };
}

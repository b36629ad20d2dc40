import type { AttestationReason, AttestationResponse } from '@portcullis/protocol';
import type { Services } from '../services.ts';
import { ATTESTATION_TOKEN_LIFETIME_S, issueAttestationToken } from './attestation-tokens.ts';
import { verifySoftwareEvidence } from './verify-software-evidence.ts';

export type AttestOutcome =
  | { verdict: 'pass'; response: AttestationResponse }
  | { verdict: 'fail'; reasons: AttestationReason[] };

const SIGNAL_REASONS: Record<string, AttestationReason> = {
  rooted: 'rooted',
  emulator: 'emulator',
  debugger: 'debugger',
  hooking: 'hooking',
  signature_mismatch: 'signature_mismatch',
};

/**
 * One attestation: verify the evidence, spend its challenge (once, atomically), match a live
 * release, weigh the integrity signals, and on a pass issue a key-bound attestation token.
 * Every reason found is collected, so an operator sees the whole picture at once.
 */
export async function attest(services: Services, format: string, evidence: string): Promise<AttestOutcome> {
  const { attestation } = services;
  // The hardware formats verify offline today (portcullis attest verify); /attest takes them next.
  if (format !== 'software') return { verdict: 'fail', reasons: ['format_disabled'] };
  if (attestation.policy.get('software-evidence') !== 'on') return { verdict: 'fail', reasons: ['format_disabled'] };
  const verified = await verifySoftwareEvidence(evidence);
  if (!verified.ok) return { verdict: 'fail', reasons: verified.reasons };
  const claims = verified.evidence;
  // The challenge is spent whatever the outcome: evidence is never evaluated twice.
  if (!(await attestation.challenges.consume(claims.nonce))) return { verdict: 'fail', reasons: ['nonce_unknown'] };
  const reasons: AttestationReason[] = [];
  const standing = await attestation.devices.standing(claims.device_id, verified.jkt);
  if (standing === 'denied') reasons.push('device_denied');
  // The release is always checked: an always-pass device still proves a registered, live build.
  const digest = /^sha256:([0-9a-fA-F]{64})$/.exec(claims.release)?.[1];
  const release = digest ? await attestation.releases.findLive(claims.app_id, digest) : null;
  if (!release)
    reasons.push((await attestation.releases.isKnown(claims.app_id, digest ?? '')) ? 'release_revoked' : 'app_unregistered');
  // An admin's time-limited always-pass (a developer's or CI device, with the key it was allowed
  // with) waives only the integrity signals; a denied device fails whatever it says.
  if (standing === 'default') {
    for (const [signal, reason] of Object.entries(SIGNAL_REASONS)) {
      if (claims.signals[signal as keyof typeof claims.signals] === true) reasons.push(reason);
    }
  }
  await attestation.devices.seen({
    deviceId: claims.device_id,
    jkt: verified.jkt,
    appId: claims.app_id,
    platform: claims.platform,
    verdict: reasons.length > 0 ? `fail: ${reasons.join(' ')}` : 'pass',
  });
  if (reasons.length > 0) return { verdict: 'fail', reasons };
  const token = await issueAttestationToken(services.signingKeys, {
    issuer: services.publicUrl(),
    deviceId: claims.device_id,
    appId: claims.app_id,
    release: claims.release,
    jkt: verified.jkt,
  });
  return { verdict: 'pass', response: { verdict: 'pass', attestation_token: token, expires_in: ATTESTATION_TOKEN_LIFETIME_S } };
}

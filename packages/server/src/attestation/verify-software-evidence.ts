import { type AttestationReason, SOFTWARE_EVIDENCE_TYP, type SoftwareEvidence } from '@portcullis/protocol';
import { calculateJwkThumbprint, compactVerify, EmbeddedJWK, type JWK } from 'jose';

const ALGORITHMS = ['ES256', 'EdDSA'];
const MAX_EVIDENCE_LENGTH = 16_384;
/** Evidence is made right after the challenge; allow a little clock skew either way. */
const MAX_AGE_S = 120;
const MAX_FUTURE_S = 30;

export type SoftwareEvidenceResult =
  | { ok: true; evidence: SoftwareEvidence; jwk: JWK; jkt: string }
  | { ok: false; reasons: AttestationReason[] };

const str = (v: unknown, max = 256) => typeof v === 'string' && v.length > 0 && v.length <= max;

function shapeOk(p: Record<string, unknown>): p is Record<string, unknown> & SoftwareEvidence {
  const signals = p.signals;
  return (
    str(p.nonce, 128) &&
    str(p.app_id) &&
    str(p.release, 80) &&
    str(p.device_id, 128) &&
    ['android', 'ios', 'web', 'node'].includes(p.platform as string) &&
    (p.os_version === undefined || str(p.os_version, 64)) &&
    Number.isInteger(p.iat) &&
    typeof signals === 'object' &&
    signals !== null &&
    Object.values(signals).every((v) => typeof v === 'boolean')
  );
}

/**
 * `software` evidence: a compact JWS signed by the app-instance key carried in its own `jwk`
 * header (ES256 or Ed25519, public only), `typ` portcullis-evidence+jwt, with the claims of
 * `SoftwareEvidence`. The signature proves possession of the key the attestation token will be
 * bound to; everything else is the app's own report, which the policy weighs.
 */
export async function verifySoftwareEvidence(jws: string, now = Date.now()): Promise<SoftwareEvidenceResult> {
  if (jws.length > MAX_EVIDENCE_LENGTH) return { ok: false, reasons: ['malformed'] };
  let payload: Uint8Array;
  let jwk: JWK;
  try {
    const verified = await compactVerify(jws, EmbeddedJWK, { algorithms: ALGORITHMS });
    if (verified.protectedHeader.typ !== SOFTWARE_EVIDENCE_TYP) return { ok: false, reasons: ['malformed'] };
    jwk = verified.protectedHeader.jwk as JWK;
    payload = verified.payload;
  } catch (err) {
    const code = (err as { code?: string }).code;
    return { ok: false, reasons: [code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' ? 'bad_signature' : 'malformed'] };
  }
  let claims: unknown;
  try {
    claims = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return { ok: false, reasons: ['malformed'] };
  }
  if (typeof claims !== 'object' || claims === null || !shapeOk(claims as Record<string, unknown>))
    return { ok: false, reasons: ['malformed'] };
  const evidence = claims as SoftwareEvidence;
  const age = Math.floor(now / 1000) - evidence.iat;
  if (age > MAX_AGE_S || age < -MAX_FUTURE_S) return { ok: false, reasons: ['stale_evidence'] };
  return { ok: true, evidence, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

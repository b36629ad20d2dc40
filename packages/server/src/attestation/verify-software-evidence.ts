import { type AttestationReason, SOFTWARE_EVIDENCE_TYP, type SoftwareEvidence } from '@portcullis/protocol';
import type { JWK } from 'jose';
import { EmbeddedKeyJws, JwsRejected } from '../keys/embedded-key-jws.ts';

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

// A device makes all its evidence with one key: its header is checked and key imported once.
const evidenceJws = new EmbeddedKeyJws({
  algorithms: ALGORITHMS,
  isTyp: (typ) => typ === SOFTWARE_EVIDENCE_TYP,
  inTurn: true,
});

/**
 * `software` evidence: a compact JWS signed by the app-instance key carried in its own `jwk`
 * header (ES256 or Ed25519, public only), `typ` portcullis-evidence+jwt, with the claims of
 * `SoftwareEvidence`. The signature proves possession of the key the attestation token will be
 * bound to; everything else is the app's own report, which the policy weighs.
 */
export async function verifySoftwareEvidence(jws: string, now = Date.now()): Promise<SoftwareEvidenceResult> {
  if (jws.length > MAX_EVIDENCE_LENGTH) return { ok: false, reasons: ['malformed'] };
  let claims: Record<string, unknown>;
  let jwk: JWK;
  let jkt: string;
  try {
    const verified = await evidenceJws.verify(jws);
    ({ jwk, jkt } = verified.key);
    claims = verified.payload;
  } catch (err) {
    if (!(err instanceof JwsRejected)) throw err;
    return { ok: false, reasons: [err.failure === 'bad_signature' ? 'bad_signature' : 'malformed'] };
  }
  if (!shapeOk(claims)) return { ok: false, reasons: ['malformed'] };
  const evidence = claims as SoftwareEvidence;
  const age = Math.floor(now / 1000) - evidence.iat;
  if (age > MAX_AGE_S || age < -MAX_FUTURE_S) return { ok: false, reasons: ['stale_evidence'] };
  return { ok: true, evidence, jwk, jkt };
}

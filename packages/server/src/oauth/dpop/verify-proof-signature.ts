import { type EmbeddedKey, EmbeddedKeyJws, type JwsFailure, JwsRejected } from '../../keys/embedded-key-jws.ts';
import { InvalidDpopProof } from './dpop-errors.ts';

/** RFC 9449 §4.2: asymmetric JWS algorithms only; never `none`, never an HMAC. Discovery lists these. */
export const DPOP_ALGS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA', 'Ed25519'];

/** A proof key, checked and imported once: its JWK, RFC 7638 thumbprint, and a signature check. */
export type ProofKey = EmbeddedKey;

/** RFC 7515 §4.1.9 as jose reads `typ`: case-insensitive, `application/` optional. */
const isDpopTyp = (typ: unknown) => typeof typ === 'string' && typ.toLowerCase().replace(/^application\//, '') === 'dpop+jwt';

const proofs = new EmbeddedKeyJws({ algorithms: DPOP_ALGS, isTyp: isDpopTyp });

// The messages name jose's error codes, as they did when jose verified proofs whole.
const MESSAGES: Record<JwsFailure, string> = {
  not_jws: 'the DPoP header is not a JWT',
  no_jwk: 'the DPoP proof has no jwk header',
  private_jwk: 'the DPoP jwk header must be a public key',
  alg_not_allowed: 'the DPoP proof was rejected (ERR_JOSE_ALG_NOT_ALLOWED)',
  wrong_typ: 'the DPoP proof was rejected (ERR_JWT_CLAIM_VALIDATION_FAILED)',
  crit_not_understood: 'the DPoP proof was rejected (ERR_JOSE_NOT_SUPPORTED)',
  unusable_key: 'the DPoP jwk header is not a usable public key',
  bad_signature: 'the DPoP proof was rejected (ERR_JWS_SIGNATURE_VERIFICATION_FAILED)',
  payload_not_object: 'the DPoP proof was rejected (ERR_JWT_INVALID)',
};

/**
 * Verifies a DPoP proof's JWS (RFC 7515 §5.2; RFC 9449 §4.3 steps 2–6) and returns its key and
 * claims: the header and key are checked once per header, the signature with node:crypto on every
 * proof — the hot path of a gateway that sees one proof per request (`EmbeddedKeyJws`). The payload
 * must be a JSON object whose `exp`/`nbf`, if present, hold now (as jose's jwtVerify requires).
 */
export async function verifyProofSignature(proof: string): Promise<{ key: ProofKey; payload: Record<string, unknown> }> {
  let verified: Awaited<ReturnType<EmbeddedKeyJws['verify']>>;
  try {
    verified = await proofs.verify(proof);
  } catch (err) {
    if (err instanceof JwsRejected) throw new InvalidDpopProof(MESSAGES[err.failure]);
    throw err;
  }
  const claims = verified.payload;
  const now = Math.floor(Date.now() / 1000);
  if ('exp' in claims && (typeof claims.exp !== 'number' || claims.exp <= now))
    throw new InvalidDpopProof('the DPoP proof was rejected (ERR_JWT_EXPIRED)');
  if ('nbf' in claims && (typeof claims.nbf !== 'number' || claims.nbf > now))
    throw new InvalidDpopProof('the DPoP proof was rejected (ERR_JWT_CLAIM_VALIDATION_FAILED)');
  return verified;
}

import type { JWTPayload } from 'jose';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/index.ts';
import { authChallenge } from '../../http/challenge.ts';
import { HttpError, OAuthError } from '../../http/errors.ts';
import type { SecretDigests } from '../../keys/index.ts';
import { verifyDpopProof } from './verify-dpop-proof.ts';

export interface ResourceProof {
  /** The Authorization scheme the token came with, lowercased; `body` for a form-encoded token. */
  scheme: 'bearer' | 'dpop' | 'body';
  accessToken: string;
  /** The verified access token's claims. */
  payload: JWTPayload;
  headers: readonly string[] | undefined;
  method: string;
  url: string;
  db: Kysely<Database>;
  digests: SecretDigests;
}

/** The key a DPoP-bound access token is bound to (RFC 9449 §6.1 `cnf.jkt`), if it is. */
export function boundJkt(payload: JWTPayload): string | undefined {
  const cnf = payload.cnf as { jkt?: unknown } | undefined;
  return typeof cnf?.jkt === 'string' ? cnf.jkt : undefined;
}

/** RFC 9449 §7.1: a 401 with a DPoP challenge naming the error and the algorithms accepted. */
export function dpopChallengeError(
  code: 'invalid_token' | 'invalid_dpop_proof' | 'use_dpop_nonce',
  description: string,
): HttpError {
  const error = new HttpError(401, code, description);
  error.headers['www-authenticate'] = authChallenge(['DPoP'], { code, description });
  return error;
}

// RFC 9449 §7: a DPoP-bound token is accepted only with the DPoP scheme and a proof made by the key
// it is bound to, whose `ath` is the token's hash (§4.3 check 12); sent as a bearer token it is
// refused (§7.2). An unbound token keeps working as a bearer token. Nonces are not demanded here,
// but one in the proof must be ours and fresh (§4.3 check 10, §9).
export async function checkResourceProof(request: ResourceProof): Promise<void> {
  const jkt = boundJkt(request.payload);
  if (request.scheme !== 'dpop') {
    if (jkt === undefined) return;
    const error = dpopChallengeError(
      'invalid_token',
      'this access token is DPoP-bound; send it with the DPoP scheme and a proof',
    );
    error.headers['www-authenticate'] = authChallenge(['Bearer', 'DPoP'], { code: error.code, description: error.description });
    throw error;
  }
  if (request.headers === undefined) throw dpopChallengeError('invalid_dpop_proof', 'a DPoP proof is required');
  let proof: { jkt: string };
  try {
    proof = await verifyDpopProof({ ...request, nonce: 'if-present' });
  } catch (err) {
    if (!(err instanceof OAuthError) || (err.code !== 'invalid_dpop_proof' && err.code !== 'use_dpop_nonce')) throw err;
    const error = dpopChallengeError(err.code, err.description);
    const nonce = err.headers['dpop-nonce'];
    if (nonce) error.headers['dpop-nonce'] = nonce;
    throw error;
  }
  if (jkt === undefined)
    throw dpopChallengeError('invalid_token', 'this access token is not DPoP-bound; send it as a bearer token');
  if (proof.jkt !== jkt)
    throw dpopChallengeError('invalid_token', 'the DPoP proof was not made by the key the token is bound to');
}

import { hash } from 'node:crypto';
import type { JWK } from 'jose';
import type { Kysely } from 'kysely';
import { type Database, isUniqueViolation } from '../../db/index.ts';
import type { SecretDigests } from '../../keys/index.ts';
import { InvalidDpopProof, UseDpopNonce } from './dpop-errors.ts';
import { checkDpopNonce, issueDpopNonce } from './dpop-nonce.ts';
import { normalizeHtu } from './normalize-htu.ts';
import { verifyProofSignature } from './verify-proof-signature.ts';

export { DPOP_ALGS } from './verify-proof-signature.ts';
/** How old (seconds) a proof's `iat` may be, and how far ahead of our clock. */
export const PROOF_MAX_AGE_S = 60;
export const PROOF_MAX_FUTURE_S = 5;
const MAX_JTI_LENGTH = 256;

/** What a valid proof establishes: the RFC 7638 thumbprint of the key that signed it. */
export interface DpopProof {
  jkt: string;
  /** The verified public key itself, for a reply encrypted to it (runtime secrets). */
  jwk: JWK;
}

export interface ProofRequest {
  /** Every `DPoP` header line of the request (Node's `headersDistinct`), so a repeated header shows. */
  headers: readonly string[] | undefined;
  method: string;
  /** The URL the request was addressed to, as this server names it (issuer + path). */
  url: string;
  /** The access token sent with the proof, at a protected resource; its hash must be `ath`. */
  accessToken?: string | undefined;
  /** That hash (base64url SHA-256, RFC 9449 §4.2), when the caller has computed it already. */
  accessTokenHash?: string | undefined;
  /** The token endpoint always demands a nonce; a resource checks one only when the proof has one. */
  nonce: 'required' | 'if-present';
  db: Kysely<Database>;
  digests: SecretDigests;
  /**
   * Where used `jti`s are recorded instead of the database: records one and answers false when it
   * was there already. The gateway keeps them in memory so its hot path never waits on storage.
   */
  spend?: ((id: string, expiresAt: number) => boolean | Promise<boolean>) | undefined;
}

const b64urlSha256 = (value: string) => hash('sha256', value, 'base64url');

/**
 * Checks a DPoP proof per RFC 9449 §4.3: one header holding one JWT, `typ` dpop+jwt, an asymmetric
 * `alg`, a public `jwk` whose key made the signature, `htm`/`htu` naming this request, a recent `iat`,
 * `ath` for the access token, the server nonce (§8), and a `jti` not seen before (§11.1).
 */
export async function verifyDpopProof(request: ProofRequest): Promise<DpopProof> {
  if (request.headers?.length !== 1) throw new InvalidDpopProof('send exactly one DPoP header');
  const proof = request.headers[0] as string;
  const { key, payload } = await verifyProofSignature(proof);
  const { jti, htm, htu, iat } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH)
    throw new InvalidDpopProof('the DPoP proof jti is invalid');
  if (htm !== request.method) throw new InvalidDpopProof('the DPoP proof htm does not match the request method');
  if (typeof htu !== 'string' || normalizeHtu(htu) !== normalizeHtu(request.url))
    throw new InvalidDpopProof('the DPoP proof htu does not match the request URL');
  const now = Math.floor(Date.now() / 1000);
  if (typeof iat !== 'number' || iat < now - PROOF_MAX_AGE_S || iat > now + PROOF_MAX_FUTURE_S)
    throw new InvalidDpopProof('the DPoP proof iat is not recent');
  if (request.accessToken !== undefined && payload.ath !== (request.accessTokenHash ?? b64urlSha256(request.accessToken)))
    throw new InvalidDpopProof('the DPoP proof ath does not match the access token');
  if (request.nonce === 'required' || payload.nonce !== undefined) {
    if (!checkDpopNonce(request.digests, payload.nonce)) {
      const why = payload.nonce === undefined ? 'requires' : 'did not accept';
      throw new UseDpopNonce(
        `the server ${why} the nonce in the DPoP proof; use the DPoP-Nonce header`,
        issueDpopNonce(request.digests),
      );
    }
  }
  const { jkt, jwk } = key;
  const id = `dpop:${jkt}:${jti}`;
  const expiresAt = (iat + PROOF_MAX_AGE_S + 1) * 1000;
  if (request.spend) {
    if (!(await request.spend(id, expiresAt))) throw new InvalidDpopProof('the DPoP proof was already used');
  } else await spendJti(request.db, id, expiresAt);
  return { jkt, jwk };
}

/**
 * RFC 9449 §11.1: a proof is accepted once. The `oauth_used_jtis` row outlives the `iat` window, so
 * every node refuses a replay until the proof would be refused as too old anyway.
 */
async function spendJti(db: Kysely<Database>, jti: string, expiresAt: number): Promise<void> {
  try {
    await db.insertInto('oauth_used_jtis').values({ jti, expires_at: expiresAt }).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw new InvalidDpopProof('the DPoP proof was already used');
    throw err;
  }
}

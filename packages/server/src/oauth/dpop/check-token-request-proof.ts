import type { Kysely } from 'kysely';
import type { Database } from '../../db/index.ts';
import { OAuthError } from '../../http/errors.ts';
import type { SecretDigests } from '../../keys/index.ts';
import type { Client } from '../clients/client.ts';
import { type DpopProof, verifyDpopProof } from './verify-dpop-proof.ts';

export interface TokenRequestProof {
  client: Client;
  headers: readonly string[] | undefined;
  method: string;
  url: string;
  db: Kysely<Database>;
  digests: SecretDigests;
}

// RFC 9449 §5: a valid proof binds the issued tokens to its key; every proof here must carry a
// server nonce (§8). A client registered with require_dpop (§5.2 dpop_bound_access_tokens) gets no
// token without one.
export async function checkTokenRequestProof(request: TokenRequestProof): Promise<DpopProof | undefined> {
  if (request.headers === undefined) {
    if (request.client.requireDpop) throw new OAuthError('invalid_request', 'this client must send a DPoP proof');
    return undefined;
  }
  return verifyDpopProof({ ...request, nonce: 'required' });
}

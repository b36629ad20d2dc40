import { OAuthError } from '../../http/errors.ts';

/** RFC 9449 §5 / §7.1: the DPoP proof is missing a required part, malformed, or fails a §4.3 check. */
export class InvalidDpopProof extends OAuthError {
  override name = 'InvalidDpopProof';
  constructor(description: string) {
    super('invalid_dpop_proof', description);
  }
}

/** RFC 9449 §8: the proof needs a (fresh) server nonce; the answer carries one in `DPoP-Nonce`. */
export class UseDpopNonce extends OAuthError {
  override name = 'UseDpopNonce';
  constructor(description: string, nonce: string) {
    super('use_dpop_nonce', description);
    this.headers['dpop-nonce'] = nonce;
  }
}

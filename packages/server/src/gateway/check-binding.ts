import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { OAuthError } from '../http/errors.ts';
import { readDpopHeaders, verifyDpopProof } from '../oauth/index.ts';
import type { Services } from '../services.ts';
import { challenged, GatewayError } from './gateway-error.ts';
import type { GatewayRequest } from './gateway-request.ts';
import type { ProofLedger } from './used-proofs.ts';

/** RFC 8705 §3.1: the base64url SHA-256 of the DER client certificate of this TLS connection. */
function certificateThumbprint(g: GatewayRequest): string | undefined {
  const socket = g.req.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  const raw = socket.getPeerCertificate()?.raw;
  return raw ? createHash('sha256').update(raw).digest('base64url') : undefined;
}

/**
 * Sender constraints, for the access token and the attestation token together:
 * - a DPoP-bound token (`cnf.jkt`) only with the DPoP scheme and a proof by that key whose `ath`
 *   is the token's hash (RFC 9449 §7.1, §7.2); the DPoP scheme only with a DPoP-bound token;
 * - a certificate-bound token (`cnf.x5t#S256`) only over a TLS connection presenting that
 *   certificate (RFC 8705 §3);
 * - the route's binding: `dpop`/`mtls` demand that kind of bound token, `any` either, `none` neither;
 * - unless the binding is `none`, an attestation token only with a DPoP proof by the key in its
 *   `cnf.jkt`: the same proof serves a DPoP-bound access token, so one signature binds both.
 */
export function checkBinding(g: GatewayRequest, services: Services, proofs: ProofLedger): void | Promise<void> {
  const token = g.token;
  const binding = g.route.binding;
  if (token) {
    if (token.jkt === undefined && g.scheme === 'dpop')
      throw challenged(g.challenge, 401, 'invalid_token', 'this access token is not DPoP-bound; send it as a bearer token');
    if (token.jkt !== undefined && g.scheme !== 'dpop')
      throw challenged(
        ['DPoP'],
        401,
        'invalid_token',
        'this access token is DPoP-bound; send it with the DPoP scheme and a proof',
      );
    if (token.x5t !== undefined && certificateThumbprint(g) !== token.x5t)
      throw challenged(
        g.challenge,
        401,
        'invalid_token',
        'this access token is bound to a client certificate this connection did not present',
      );
    const bound = token.jkt !== undefined ? 'dpop' : token.x5t !== undefined ? 'mtls' : undefined;
    if ((binding === 'dpop' || binding === 'mtls') && bound !== binding)
      throw challenged(
        g.challenge,
        401,
        'invalid_token',
        `this API needs a ${binding === 'dpop' ? 'DPoP' : 'certificate'}-bound access token`,
      );
    if (binding === 'any' && bound === undefined)
      throw challenged(
        g.challenge,
        401,
        'invalid_token',
        'this API needs a sender-constrained (DPoP or certificate-bound) access token',
      );
  }
  const app = g.app;
  const needsAppProof = app !== undefined && binding !== 'none';
  if (token?.jkt === undefined && !needsAppProof) return;

  if (app && token?.jkt !== undefined && token.jkt !== app.cnf.jkt)
    throw new GatewayError(401, 'attestation_invalid', 'the attestation token and the access token are bound to different keys');
  return checkProof(g, services, proofs);
}

/** The request's DPoP proof, by the key the access token or the attestation token is bound to (RFC 9449 §7.1). */
async function checkProof(g: GatewayRequest, services: Services, proofs: ProofLedger): Promise<void> {
  const { token, app } = g;
  const proofKey = token?.jkt ?? app?.cnf.jkt;
  let jkt: string;
  try {
    ({ jkt } = await verifyDpopProof({
      headers: readDpopHeaders(g.req),
      method: g.req.method ?? 'GET',
      url: g.url,
      accessToken: token?.jkt !== undefined ? g.accessToken : undefined,
      // The token cache's key is the token's base64url SHA-256, which is what `ath` must be.
      accessTokenHash: token?.jkt !== undefined ? token.key : undefined,
      nonce: 'if-present',
      db: services.database.db,
      digests: services.digests,
      spend: (id, expiresAt) => proofs.spend(id, expiresAt),
    }));
  } catch (err) {
    if (!(err instanceof OAuthError)) throw err;
    if (token?.jkt === undefined)
      throw new GatewayError(401, 'attestation_invalid', `the attested key's DPoP proof: ${err.description}`);
    const refused = challenged(['DPoP'], 401, err.code, err.description);
    const nonce = err.headers['dpop-nonce'];
    if (nonce) refused.headers['dpop-nonce'] = nonce;
    throw refused;
  }
  if (jkt !== proofKey) {
    if (token?.jkt !== undefined)
      throw challenged(['DPoP'], 401, 'invalid_token', 'the DPoP proof was not made by the key the token is bound to');
    throw new GatewayError(401, 'attestation_invalid', 'the DPoP proof was not made by the attested app-instance key');
  }
  g.proofJkt = jkt;
}

import { base64url, SignJWT } from 'jose';
import type { InstanceKey } from './instance-key.ts';

/** RFC 9449 §4.2: `htu` is the target URI without its query and fragment. */
export function proofTarget(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** base64url(SHA-256(token)): the `ath` claim binding a proof to the token it is sent with (RFC 9449 §4.2). */
export async function tokenHash(token: string): Promise<string> {
  return base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))));
}

/**
 * A DPoP proof (RFC 9449 §4.2) by the app-instance key for the SDK's own calls to `/attest` and
 * `/secrets`; token endpoint and API calls get theirs from oauth4webapi's DPoP handle.
 */
export async function makeDpopProof(
  key: InstanceKey,
  method: string,
  url: URL,
  options: { ath?: string; nonce?: string } = {},
): Promise<string> {
  return new SignJWT({
    htm: method,
    htu: proofTarget(url),
    ...(options.ath === undefined ? {} : { ath: options.ath }),
    ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk })
    .setIssuedAt()
    .setJti(base64url.encode(crypto.getRandomValues(new Uint8Array(16))))
    .sign(key.signing.privateKey);
}

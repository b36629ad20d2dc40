import { base64url, SignJWT } from 'jose';
import { readErrorBody } from './errors.ts';
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

/** A body that can be sent twice (a retry); streams cannot. */
export function replayable(body: BodyInit | null | undefined): boolean {
  return body === undefined || body === null || !(typeof ReadableStream !== 'undefined' && body instanceof ReadableStream);
}

/** Whether the server refused the proof for want of its nonce: 400 at the token endpoint and `/attest` (RFC 9449 §8), 401 at a resource (§9). */
async function asksForNonce(response: Response): Promise<boolean> {
  if ((response.status !== 400 && response.status !== 401) || !response.headers.has('dpop-nonce')) return false;
  if (/use_dpop_nonce/.test(response.headers.get('www-authenticate') ?? '')) return true;
  return (await readErrorBody(response.clone())).error === 'use_dpop_nonce';
}

/**
 * Sends a request with a DPoP proof by the instance key (the SDK's own calls: `/attest`,
 * `/secrets`, a signed-out call to a protected API), and once more with the server's nonce when
 * it asks for one.
 */
export async function fetchWithProof(
  fetch: typeof globalThis.fetch,
  key: InstanceKey,
  url: URL,
  init: RequestInit & { method: string },
  ath?: string,
): Promise<Response> {
  const send = async (nonce: string | null) => {
    const headers = new Headers(init.headers);
    const claims = { ...(ath === undefined ? {} : { ath }), ...(nonce === null ? {} : { nonce }) };
    headers.set('dpop', await makeDpopProof(key, init.method, url, claims));
    return fetch(url, { ...init, headers });
  };
  const response = await send(null);
  if (!replayable(init.body) || !(await asksForNonce(response))) return response;
  return send(response.headers.get('dpop-nonce'));
}

// An attested app instance as the SDK will be one, by hand: `software` evidence for the demo's app
// and release (as in packages/server/test/attestation/attest-fixtures.ts), a password-grant token
// bound to the same key, and gateway calls with one DPoP proof for both tokens.
import assert from 'node:assert/strict';
import { SOFTWARE_EVIDENCE_TYP, type SoftwareEvidence } from '@portcullis/protocol';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';

const insecure = { [oauth.allowInsecureRequests]: true } as const;

/** The app-instance key pair (WebCrypto), as oauth4webapi's DPoP handle takes it. */
type KeyPair = Parameters<typeof oauth.DPoP>[1];

export interface AttestedInstance {
  keyPair: KeyPair;
  attestationToken: string;
}

/** POST /attest with software evidence signed by a new app-instance key; the raw answer. */
export async function postEvidence(
  issuer: string,
  claims: { app_id: string; release: string },
): Promise<{ status: number; body: Record<string, unknown>; keyPair: KeyPair }> {
  const keyPair = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(keyPair.publicKey);
  const challenge = await fetch(`${issuer}/attest/challenge`, { method: 'POST' });
  const evidence: SoftwareEvidence = {
    nonce: String(((await challenge.json()) as { challenge: string }).challenge),
    app_id: claims.app_id,
    release: claims.release,
    device_id: 'demo-test-browser',
    platform: 'web',
    iat: Math.floor(Date.now() / 1000),
    signals: {},
  };
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(evidence)))
    .setProtectedHeader({ alg: 'ES256', typ: SOFTWARE_EVIDENCE_TYP, jwk })
    .sign(keyPair.privateKey);
  const res = await fetch(`${issuer}/attest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ format: 'software', evidence: jws }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, keyPair };
}

export async function attest(issuer: string, claims: { app_id: string; release: string }): Promise<AttestedInstance> {
  const { status, body, keyPair } = await postEvidence(issuer, claims);
  assert.equal(status, 200, JSON.stringify(body));
  return { keyPair, attestationToken: String(body.attestation_token) };
}

/** oauth4webapi's DPoP pattern: a `use_dpop_nonce` refusal is answered by repeating once. */
async function withNonceRetry<T>(attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) throw err;
    return attempt();
  }
}

export interface SignedIn {
  accessToken: string;
  dpop: oauth.DPoPHandle;
  attestationToken: string;
}

/** The password grant for the first-party client, with the attestation and a DPoP proof by its key. */
export async function signIn(
  issuer: string,
  clientId: string,
  instance: AttestedInstance,
  login: { username: string; password: string },
  scope: string,
): Promise<SignedIn> {
  const url = new URL(issuer);
  const as = await oauth.processDiscoveryResponse(url, await oauth.discoveryRequest(url, insecure));
  const client: oauth.Client = { client_id: clientId };
  const dpop = oauth.DPoP(client, instance.keyPair);
  const tokens = await withNonceRetry(async () => {
    const response = await oauth.genericTokenEndpointRequest(
      as,
      client,
      oauth.None(),
      'password',
      { username: login.username, password: login.password, scope },
      { DPoP: dpop, headers: { 'portcullis-attestation': instance.attestationToken }, ...insecure },
    );
    return oauth.processGenericTokenEndpointResponse(as, client, response);
  });
  assert.equal(tokens.token_type, 'dpop');
  return { accessToken: tokens.access_token, dpop, attestationToken: instance.attestationToken };
}

/** A call through the gateway: `Authorization: DPoP`, a proof with `ath`, and the attestation token. */
export function callApi(signedIn: SignedIn, method: string, url: string): Promise<Response> {
  return oauth.protectedResourceRequest(
    signedIn.accessToken,
    method,
    new URL(url),
    new Headers({ 'portcullis-attestation': signedIn.attestationToken }),
    null,
    { DPoP: signedIn.dpop, ...insecure },
  );
}

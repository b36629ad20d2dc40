import assert from 'node:assert/strict';
import { CompactSign, type JWK } from 'jose';
import type { OAuthServer } from '../oauth/start-oauth-server.ts';

/** The app-instance key a test device signs its evidence with. */
export interface DeviceKey {
  privateKey: Parameters<CompactSign['sign']>[0];
  jwk: JWK;
}

export const TEST_RELEASE = `sha256:${'ab'.repeat(32)}`;

export async function newChallenge(server: OAuthServer): Promise<string> {
  const res = await fetch(`${server.issuer}/attest/challenge`, { method: 'POST' });
  return ((await res.json()) as { challenge: string }).challenge;
}

/**
 * `software` evidence as a genuine, clean device of `app_id` sends it: a fresh challenge, the
 * registered release, no integrity signals; `overrides` and `header` bend any of it.
 */
export async function signEvidence(
  server: OAuthServer,
  key: DeviceKey,
  overrides: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  const claims = {
    nonce: await newChallenge(server),
    app_id: 'com.example.catalog',
    release: TEST_RELEASE,
    device_id: 'device-1',
    platform: 'android',
    iat: Math.floor(Date.now() / 1000),
    signals: {},
    ...overrides,
  };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'ES256', typ: 'portcullis-evidence+jwt', jwk: key.jwk, ...header })
    .sign(key.privateKey);
}

export async function postAttest(
  server: OAuthServer,
  evidence: string,
  format = 'software',
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.issuer}/attest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ format, evidence }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Attests and returns the attestation token; the attestation must pass. */
export async function attestationToken(
  server: OAuthServer,
  key: DeviceKey,
  overrides: Record<string, unknown> = {},
): Promise<string> {
  const { status, body } = await postAttest(server, await signEvidence(server, key, overrides));
  assert.equal(status, 200, JSON.stringify(body));
  return String(body.attestation_token);
}

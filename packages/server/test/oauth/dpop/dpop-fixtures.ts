// Hand-made DPoP proofs (RFC 9449 §4.2) for the attack tests, and oauth4webapi plumbing for the happy paths.
import { createHash, randomBytes } from 'node:crypto';
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { issueDpopNonce } from '../../../src/oauth/dpop/dpop-nonce.ts';
import type { OAuthServer } from '../start-oauth-server.ts';

export interface ProofKey {
  publicKey: CryptoKey;
  privateKey: CryptoKey;
  jwk: JWK;
  jkt: string;
}

export async function proofKey(): Promise<ProofKey> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { publicKey, privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

export interface ProofOptions {
  htm?: string;
  htu: string;
  /** A nonce value; `null` leaves the claim out. Defaults to a fresh server nonce. */
  nonce?: string | null;
  iat?: number;
  jti?: string;
  accessToken?: string;
  /** Header fields to add or replace (alg, typ, jwk). */
  header?: Record<string, unknown>;
  /** Signs with this key instead of the one the jwk header names. */
  signWith?: CryptoKey | Uint8Array;
}

/** A fresh nonce the way the server makes them (any node would accept it). */
export const freshNonce = (server: OAuthServer, now?: number) => issueDpopNonce(server.built.services.digests, now);

/** A signed DPoP proof; every field can be bent for an attack. */
export async function makeProof(server: OAuthServer, key: ProofKey, options: ProofOptions): Promise<string> {
  const payload: Record<string, unknown> = {
    jti: options.jti ?? randomBytes(16).toString('base64url'),
    htm: options.htm ?? 'POST',
    htu: options.htu,
    iat: options.iat ?? Math.floor(Date.now() / 1000),
  };
  const nonce = options.nonce === undefined ? freshNonce(server) : options.nonce;
  if (nonce !== null) payload.nonce = nonce;
  if (options.accessToken) payload.ath = createHash('sha256').update(options.accessToken).digest('base64url');
  const header = { alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk, ...options.header };
  return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(options.signWith ?? key.privateKey);
}

/** An unsigned proof (`alg: none`), which jose will not make for us. */
export function unsignedProof(key: ProofKey, htu: string, nonce: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const payload = { jti: randomBytes(16).toString('base64url'), htm: 'POST', htu, iat: Math.floor(Date.now() / 1000), nonce };
  return `${part({ alg: 'none', typ: 'dpop+jwt', jwk: key.jwk })}.${part(payload)}.`;
}

/** The payload of one of our JWTs, read without verifying. */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

export const insecure = { [oauth.allowInsecureRequests]: true } as const;

export async function discover(server: OAuthServer): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(server.issuer);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
}

/**
 * oauth4webapi's documented DPoP pattern: the handle remembers the `DPoP-Nonce` of every response,
 * and a `use_dpop_nonce` error is answered by repeating the request once. Returns the result and
 * how many requests it took.
 */
export async function withNonceRetry<T>(attempt: () => Promise<T>): Promise<{ result: T; attempts: number }> {
  try {
    return { result: await attempt(), attempts: 1 };
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) throw err;
    return { result: await attempt(), attempts: 2 };
  }
}

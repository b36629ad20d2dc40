import { createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';
import { decodeCborMap, MalformedEvidence, readBytes } from './decode-cbor-map.ts';
import { type AuthenticatorData, parseAuthenticatorData } from './parse-authenticator-data.ts';
import { sha256 } from './sha256.ts';
import type { AppleAssertionInput, AppleAssertionResult, AppleReason } from './types.ts';

interface Assertion {
  signature: Uint8Array;
  authenticatorData: Uint8Array;
  parsed: AuthenticatorData;
  publicKey: KeyObject;
}

/**
 * Verifies an App Attest assertion with the key an earlier attestation established, following
 * Apple's "Verify the assertion" steps. Never throws: anything that does not parse is
 * `malformed`; otherwise every failed step is listed. Step 6 (the client data embeds the expected
 * challenge) is the caller's: it computes `clientDataHash` from client data it has checked.
 *
 * @example
 * const result = await verifyAppleAssertion({ assertion, clientDataHash, publicKeyJwk, appId, previousSignCount });
 * if (result.ok) saveSignCount(keyId, result.signCount);
 */
export async function verifyAppleAssertion(input: AppleAssertionInput): Promise<AppleAssertionResult> {
  let assertion: Assertion;
  try {
    assertion = readAssertion(input);
  } catch {
    return { ok: false, reasons: ['malformed'] };
  }
  const reasons: AppleReason[] = [];
  // Steps 2–3: nonce = SHA-256(authenticatorData ‖ clientDataHash); the signature is ECDSA with
  // SHA-256 over that nonce (so the nonce is hashed once more by the signature scheme), DER-encoded.
  const nonce = sha256(assertion.authenticatorData, input.clientDataHash);
  if (!verifySignature(assertion.publicKey, nonce, assertion.signature)) reasons.push('bad_signature');
  // Step 4: rpIdHash = SHA-256 of the App ID (TEAMID.bundle.id).
  if (Buffer.compare(assertion.parsed.rpIdHash, sha256(Buffer.from(input.appId, 'utf8'))) !== 0) reasons.push('app_id_mismatch');
  // Step 5: the counter strictly increases, so a replayed or cloned assertion is refused.
  if (assertion.parsed.signCount <= input.previousSignCount) reasons.push('counter_not_increasing');

  if (reasons.length > 0) return { ok: false, reasons };
  return { ok: true, signCount: assertion.parsed.signCount };
}

function readAssertion(input: AppleAssertionInput): Assertion {
  if (!(input.clientDataHash instanceof Uint8Array) || typeof input.appId !== 'string') {
    throw new MalformedEvidence('clientDataHash must be bytes, appId a string');
  }
  if (!Number.isSafeInteger(input.previousSignCount) || input.previousSignCount < 0) {
    throw new MalformedEvidence('previousSignCount must be a non-negative integer');
  }
  // The assertion object: CBOR { signature: bytes, authenticatorData: bytes }.
  const object = decodeCborMap(input.assertion);
  const authenticatorData = readBytes(object, 'authenticatorData');
  return {
    signature: readBytes(object, 'signature'),
    authenticatorData,
    parsed: parseAuthenticatorData(authenticatorData),
    publicKey: importP256Key(input.publicKeyJwk),
  };
}

function importP256Key(jwk: JsonWebKey): KeyObject {
  if (jwk?.kty !== 'EC' || jwk.crv !== 'P-256' || jwk.d !== undefined) throw new MalformedEvidence('public key is not EC P-256');
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch (error) {
    throw new MalformedEvidence('public key is not a valid EC P-256 JWK', { cause: error });
  }
}

function verifySignature(key: KeyObject, nonce: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify('sha256', nonce, { key, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}

import { type AttestationObject, readAttestationObject } from './read-attestation-object.ts';
import { sha256 } from './sha256.ts';
import type { AppleAttestationInput, AppleAttestationResult, AppleEnvironment, AppleReason } from './types.ts';
import { loadAppleRoot, parseRoots, verifyCertificateChain } from './verify-certificate-chain.ts';

// Apple, "Validating Apps That Connect to Your Server" → "Verify the attestation", step 8.
const AAGUIDS: Record<AppleEnvironment, Uint8Array> = {
  development: Buffer.from('appattestdevelop', 'ascii'),
  production: Buffer.concat([Buffer.from('appattest', 'ascii'), Buffer.alloc(7)]),
};

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/**
 * Verifies an App Attest attestation object following Apple's nine steps. Never throws on
 * hostile evidence: anything that does not parse is `malformed`; otherwise every failed step is
 * listed. Throws (rejects) only when `roots` itself is not PEM, which is a configuration error.
 *
 * @example
 * const result = await verifyAppleAttestation({ attestation, clientDataHash, keyId, appId: 'TEAMID.com.example.app', environment: 'production' });
 * if (result.ok) store(result.publicKeyJwk, result.receipt, result.signCount);
 */
export async function verifyAppleAttestation(input: AppleAttestationInput): Promise<AppleAttestationResult> {
  const roots = input.roots ? parseRoots(input.roots) : [loadAppleRoot()];
  let object: AttestationObject;
  try {
    checkInputTypes(input);
    object = readAttestationObject(input.attestation);
  } catch {
    return { ok: false, reasons: ['malformed'] };
  }
  const reasons = new Set<AppleReason>();
  const { authenticatorData } = object;

  // Step 1: x5c is [credCert, intermediate] and chains to a trusted root, valid at `now`.
  if (!verifyCertificateChain(object.x5c, roots, input.now ?? new Date())) reasons.add('bad_certificate_chain');
  // Steps 2–4: nonce = SHA-256(authData ‖ clientDataHash) equals the credCert's 1.2.840.113635.100.8.2.
  if (!equal(sha256(object.authData, input.clientDataHash), object.certificateNonce)) reasons.add('nonce_mismatch');
  // Step 5: SHA-256 of the credCert's public key (uncompressed point) equals the app's key id.
  if (!equal(sha256(object.publicKeyPoint), input.keyId)) reasons.add('key_id_mismatch');
  // Step 6: rpIdHash = SHA-256 of the App ID (TEAMID.bundle.id).
  if (!equal(authenticatorData.rpIdHash, sha256(Buffer.from(input.appId, 'utf8')))) reasons.add('app_id_mismatch');
  // Step 7: a fresh key has signed nothing yet, so its counter is 0.
  if (authenticatorData.signCount !== 0) reasons.add('counter_not_zero');
  // Step 8: the AAGUID names the environment; the caller's policy says which ones it accepts.
  const environment = environmentOf(authenticatorData.aaguid);
  if (!environment || (input.environment !== 'either' && input.environment !== environment)) reasons.add('aaguid_mismatch');
  // Step 9: credentialId equals the key id.
  if (!equal(authenticatorData.credentialId, input.keyId)) reasons.add('key_id_mismatch');

  if (reasons.size > 0 || !environment) return { ok: false, reasons: [...reasons] };
  return { ok: true, publicKeyJwk: object.publicKeyJwk, environment, receipt: object.receipt, signCount: 0 };
}

function environmentOf(aaguid: Uint8Array): AppleEnvironment | undefined {
  if (equal(aaguid, AAGUIDS.development)) return 'development';
  if (equal(aaguid, AAGUIDS.production)) return 'production';
  return undefined;
}

// The types already say this; checked again because callers in plain JavaScript (or a route that
// forgot to decode base64) must get `malformed`, not an exception.
function checkInputTypes(input: AppleAttestationInput): void {
  if (!(input.clientDataHash instanceof Uint8Array) || !(input.keyId instanceof Uint8Array) || typeof input.appId !== 'string') {
    throw new TypeError('clientDataHash and keyId must be bytes, appId a string');
  }
}

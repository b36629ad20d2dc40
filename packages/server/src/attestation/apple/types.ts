import type { JsonWebKey } from 'node:crypto';

/**
 * Why an App Attest attestation or assertion was refused. Several can apply at once; they are
 * listed in the order of Apple's validation steps.
 */
export type AppleReason =
  | 'malformed'
  | 'bad_certificate_chain'
  | 'nonce_mismatch'
  | 'app_id_mismatch'
  | 'counter_not_zero'
  | 'aaguid_mismatch'
  | 'key_id_mismatch'
  | 'bad_signature'
  | 'counter_not_increasing';

export type AppleEnvironment = 'production' | 'development';

export interface AppleAttestationInput {
  /** The CBOR attestation object `attestKey` returned on the device. */
  attestation: Uint8Array;
  /** SHA-256 of the client data (the server's challenge and whatever the app bound to it). */
  clientDataHash: Uint8Array;
  /** The key identifier the app reports: SHA-256 of the key's uncompressed public point. */
  keyId: Uint8Array;
  /** `TEAMID.bundle.id` */
  appId: string;
  /** Which AAGUID is acceptable; `either` accepts both and the result says which it was. */
  environment: AppleEnvironment | 'either';
  /** Trust anchors as PEM; default: the shipped Apple App Attestation Root CA. */
  roots?: string[];
  /** Verification clock; default: now. */
  now?: Date;
}

export type AppleAttestationResult =
  | { ok: true; publicKeyJwk: JsonWebKey; environment: AppleEnvironment; receipt: Uint8Array; signCount: 0 }
  | { ok: false; reasons: AppleReason[] };

export interface AppleAssertionInput {
  /** The CBOR assertion object `{ signature, authenticatorData }` from `generateAssertion`. */
  assertion: Uint8Array;
  /** SHA-256 of the client data the app signed over. */
  clientDataHash: Uint8Array;
  /** The EC P-256 public key returned by a successful attestation. */
  publicKeyJwk: JsonWebKey;
  /** `TEAMID.bundle.id` */
  appId: string;
  /** The counter of the last accepted attestation or assertion for this key (0 after attestation). */
  previousSignCount: number;
}

export type AppleAssertionResult = { ok: true; signCount: number } | { ok: false; reasons: AppleReason[] };

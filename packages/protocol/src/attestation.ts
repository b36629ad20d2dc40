/**
 * App attestation wire formats (see packages/protocol/ATTESTATION.md for the full description).
 */

/** Why an attestation failed. Codes are never renamed once shipped. */
export const ATTESTATION_REASONS = [
  'malformed',
  'nonce_unknown',
  'nonce_reused',
  'bad_signature',
  'stale_evidence',
  'format_disabled',
  'app_unregistered',
  'release_revoked',
  'rooted',
  'emulator',
  'debugger',
  'hooking',
  'signature_mismatch',
  'device_denied',
  // Hardware formats (apple-app-attest, android-key): see ATTESTATION.md §3.
  'bad_certificate_chain',
  'untrusted_root',
  'revoked_certificate',
  'nonce_mismatch',
  'software_only',
  'app_id_mismatch',
  'key_binding_mismatch',
  'key_id_mismatch',
  'counter_not_zero',
  'environment_not_allowed',
  'boot_not_verified',
  'security_level_too_low',
  'patch_level_too_old',
  // apple-app-assert: see ATTESTATION.md §2.6.
  'key_unknown',
  'counter_not_increasing',
  // android-key: the revocation status list could not be loaded (fail closed); see ATTESTATION.md §3.
  'revocation_list_unavailable',
] as const;
export type AttestationReason = (typeof ATTESTATION_REASONS)[number];

export const ATTESTATION_FORMATS = ['software', 'apple-app-attest', 'android-key', 'apple-app-assert'] as const;
export type AttestationFormat = (typeof ATTESTATION_FORMATS)[number];

/** The `typ` of `software` evidence JWS. */
export const SOFTWARE_EVIDENCE_TYP = 'portcullis-evidence+jwt';
/** The `typ` of attestation tokens. */
export const ATTESTATION_TOKEN_TYP = 'portcullis-attestation+jwt';
/** The request header that carries an attestation token. */
export const ATTESTATION_HEADER = 'Portcullis-Attestation';
/** Where backends find the keys that sign attestation tokens. */
export const ATTESTATION_JWKS_PATH = '/.well-known/portcullis/attestation-jwks';

/** The payload of `software` evidence, signed by the app-instance key named in the JWS header `jwk`. */
export interface SoftwareEvidence {
  nonce: string;
  app_id: string;
  /** `sha256:HEX` of the release artifact or signing certificate. */
  release: string;
  device_id: string;
  platform: 'android' | 'ios' | 'web' | 'node';
  os_version?: string;
  iat: number;
  signals: {
    rooted?: boolean;
    emulator?: boolean;
    debugger?: boolean;
    hooking?: boolean;
    signature_mismatch?: boolean;
  };
}

/**
 * The client data of hardware evidence: base64url of this object as UTF-8 JSON. Its SHA-256 is what
 * the device attests (App Attest `clientDataHash`, Android `attestationChallenge`).
 */
export interface AttestationClientData {
  /** The challenge from `POST /attest/challenge`, exactly as received. */
  nonce: string;
  /** RFC 7638 SHA-256 thumbprint of the app-instance public key, which signs the request's DPoP proof. */
  jkt: string;
  /** `TEAMID.bundle.id` (Apple) or the package name (Android). */
  app_id: string;
  /** Android only: a stable device identifier (≤ 128 characters); Apple devices are known by their key id. */
  device_id?: string;
}

/** `apple-app-attest` evidence, sent as a JSON string. */
export interface AppleAppAttestEvidence {
  /** base64 of the App Attest key identifier (32 bytes). */
  key_id: string;
  /** base64 of the attestation object `attestKey` returned. */
  attestation: string;
  /** base64url of the client data JSON (`AttestationClientData`). */
  client_data: string;
}

/**
 * `apple-app-assert` evidence, sent as a JSON string: an assertion by an App Attest key that an
 * earlier `apple-app-attest` attestation stored on the server, to renew the attestation token
 * without attesting a new key.
 */
export interface AppleAppAssertEvidence {
  /** base64 of the attested App Attest key identifier (32 bytes). */
  key_id: string;
  /** base64 of the CBOR assertion object `{signature, authenticatorData}` from `generateAssertion`. */
  assertion: string;
  /** base64url of the client data JSON (`AttestationClientData`); the assertion signs its SHA-256. */
  client_data: string;
}

/** `android-key` evidence, sent as a JSON string. */
export interface AndroidKeyEvidence {
  /** PEM certificates from `KeyStore.getCertificateChain()`, leaf first. */
  chain: string[];
  /** base64url of the client data JSON (`AttestationClientData`). */
  client_data: string;
}

export interface AttestationResponse {
  verdict: 'pass';
  attestation_token: string;
  expires_in: number;
}

export interface AttestationFailure {
  error: 'attestation_failed';
  error_description: string;
  /** Absent when the policy hides rejection reasons from clients. */
  reasons?: AttestationReason[];
}

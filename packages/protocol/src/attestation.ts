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
] as const;
export type AttestationReason = (typeof ATTESTATION_REASONS)[number];

export const ATTESTATION_FORMATS = ['software', 'apple-app-attest', 'android-key'] as const;
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

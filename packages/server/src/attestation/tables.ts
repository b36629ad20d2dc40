/** Tables owned by `attestation/`. Times are milliseconds since the epoch. */
export interface AttestationTables {
  /** Genuine app releases, known by the SHA-256 of their artifact or signing certificate. */
  app_releases: {
    id: string;
    app_id: string;
    version: string | null;
    /** Lower-case hex SHA-256. */
    digest: string;
    created_at: number;
    revoked_at: number | null;
  };
  /** Devices that attested, and what admins decided about them. */
  devices: {
    device_id: string;
    /** `active` or `denied`. */
    status: string;
    /** `default` or `always-pass`. */
    policy: string;
    policy_expires_at: number | null;
    /** Thumbprint of the app-instance key seen last; always-pass holds only for the key allowed. */
    jkt: string;
    allowed_jkt: string | null;
    denied_jkt: string | null;
    app_id: string;
    platform: string;
    first_seen: number;
    last_seen: number;
    last_verdict: string;
  };
  /** Attestation policy settings (`portcullis policy set KEY VALUE`). */
  attestation_policy: {
    key: string;
    value: string;
  };
  /**
   * App Attest keys that passed `apple-app-attest`, for checking their later assertions
   * (`apple-app-assert`). Written once, on the passing attestation; then only the counter moves.
   */
  apple_keys: {
    /** base64url of the 32-byte key identifier; the device id of tokens it earns. */
    key_id: string;
    /** The App ID (`TEAMID.bundle.id`) the key was attested for. */
    app_id: string;
    /** The attested EC P-256 public key, as JWK JSON. */
    public_key: string;
    /** The highest assertion counter accepted (0 after attestation); only ever grows. */
    sign_count: number;
    /** `production` or `development` (the attestation's AAGUID). */
    environment: string;
    /** Thumbprint of the app-instance key bound at attestation (`client_data.jkt`); fixed for the key's life. */
    jkt: string;
    created_at: number;
    last_used_at: number;
  };
  /** Attestation challenges already used, by their seal, until they would have expired (challenges.ts). */
  attestation_spent_challenges: {
    tag: string;
    expires_at: number;
  };
}

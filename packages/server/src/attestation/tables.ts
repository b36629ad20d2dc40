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
  /** Outstanding attestation challenges: digests only, single use, short-lived. */
  attestation_challenges: {
    challenge_hash: string;
    expires_at: number;
  };
}

import type { AppReleaseView, AttestationReason } from '@portcullis/protocol';

/**
 * What one piece of evidence establishes, whatever its format. `attest()` adds the admins' word
 * on the device and the release registry, and turns it into a verdict.
 */
export interface Findings {
  /** The token's `sub`, and the id devices are listed and acted on by. */
  deviceId: string;
  /** RFC 7638 thumbprint of the app-instance key the evidence proved: the token's `cnf.jkt`. */
  jkt: string;
  appId: string;
  platform: string;
  /** Failures nothing waives. */
  reasons: AttestationReason[];
  /** Failures of the device's integrity, which an admin's always-pass waives. */
  integrity: AttestationReason[];
  /**
   * The digests of the releases this evidence proves (any of them), `any` for a format that proves
   * the app but not its build, or null when verification failed and nothing trustworthy names one.
   */
  releases: readonly string[] | 'any' | null;
  /** The token's `app.release`, given the live release that matched. */
  releaseLabel(release: AppReleaseView): string;
  /**
   * What a pass writes before its token is issued (`apple-app-attest`: the attested key). Called
   * only when nothing else failed; the reasons it returns turn the pass into a failure.
   */
  record?: () => Promise<AttestationReason[]>;
}

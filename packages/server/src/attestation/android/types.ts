import type { JsonWebKey } from 'node:crypto';

/**
 * Why an Android Key Attestation chain was refused. Several can apply at once; `malformed` is
 * always alone (nothing else can be judged about evidence that does not parse).
 */
export type AndroidReason =
  | 'malformed'
  | 'bad_certificate_chain'
  | 'untrusted_root'
  | 'revoked_certificate'
  | 'nonce_mismatch'
  | 'software_only';

export type SecurityLevelName = 'Software' | 'TrustedEnvironment' | 'StrongBox';
export type VerifiedBootStateName = 'Verified' | 'SelfSigned' | 'Unverified' | 'Failed';

export interface AndroidKeyInput {
  /** PEM certificates from `KeyStore.getCertificateChain()`, leaf first, root last. */
  chain: string[];
  /** The nonce the server issued, which the app passed to `setAttestationChallenge`. */
  challenge: Uint8Array;
  /** Trust anchors as PEM; default: the shipped Google hardware attestation roots. */
  roots?: string[];
  /** Lower-case hex serials from the revocation status list (see `parseRevocationStatusList`). */
  revokedSerials?: ReadonlySet<string>;
  /** Verification clock; default: now. */
  now?: Date;
}

/** What the attestation says, for the policy engine to judge. */
export interface AndroidKeyFacts {
  /** The attested key: the leaf certificate's public key. */
  publicKeyJwk: JsonWebKey;
  attestationSecurityLevel: SecurityLevelName;
  keymasterSecurityLevel: SecurityLevelName;
  attestationVersion: number;
  /** From attestationApplicationId: the packages sharing the calling app's uid. */
  packageNames: string[];
  /** Lower-case hex SHA-256 of each app signing certificate, from attestationApplicationId. */
  signatureDigests: string[];
  /** From the hardware-enforced rootOfTrust; absent when the secure hardware reported none. */
  verifiedBootState?: VerifiedBootStateName;
  deviceLocked?: boolean;
  /** e.g. 150000 for Android 15; 0 when unknown to the keystore. */
  osVersion?: number;
  /** YYYYMM, e.g. 202405. */
  osPatchLevel?: number;
}

export type AndroidKeyResult = { ok: true; facts: AndroidKeyFacts } | { ok: false; reasons: AndroidReason[] };
